/** Conversions between the protocol's messages and the fake's transaction log, shared by the services. */
import { Metadata, type ServiceError, type status } from '@grpc/grpc-js';
import {
  Empty,
  ReadResp,
  type RecordedEventMessage,
  StreamIdentifier,
  type StreamIdentifierMessage,
  UUID,
  type UuidMessage,
} from './generated-protocol.js';
import type { LogRecord, ProposedEvent, WireExpectedRevision } from './transaction-log.js';

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** A failure the server reports as a gRPC status; `exception` is the trailer the client maps to its error classes. */
export const grpcError = (code: status, details: string, exception?: string): Partial<ServiceError> => {
  const metadata = new Metadata();
  if (exception !== undefined) metadata.set('exception', exception);
  return { code, details, metadata, message: details };
};

export class ProtocolViolation extends Error {
  override readonly name = 'ProtocolViolation';
}

export const streamNameOf = (identifier: StreamIdentifierMessage | undefined): string => {
  if (identifier === undefined) throw new ProtocolViolation('stream_identifier is required');
  return Buffer.from(identifier.getStreamName_asU8()).toString('utf8');
};

export const streamIdentifier = (stream: string): StreamIdentifierMessage =>
  new StreamIdentifier().setStreamName(Buffer.from(stream, 'utf8'));

/** The server stores a GUID; the client sends it as a string or as two signed 64-bit halves. */
export const uuidOf = (uuid: UuidMessage | undefined): string => {
  if (uuid === undefined) throw new ProtocolViolation('event id is required');
  if (uuid.hasStructured()) {
    const structured = uuid.getStructured()!;
    const hex =
      BigInt.asUintN(64, BigInt(structured.getMostSignificantBits())).toString(16).padStart(16, '0') +
      BigInt.asUintN(64, BigInt(structured.getLeastSignificantBits())).toString(16).padStart(16, '0');
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
  }
  const id = uuid.getString().toLowerCase();
  if (!UUID_PATTERN.test(id)) throw new ProtocolViolation(`event id is not a UUID: ${JSON.stringify(id)}`);
  return id;
};

export const uuidMessage = (id: string, asString: boolean): UuidMessage => {
  if (asString) return new UUID().setString(id);
  const hex = id.replaceAll('-', '');
  const structured = new UUID.Structured()
    .setMostSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(0, 16)}`)).toString())
    .setLeastSignificantBits(BigInt.asIntN(64, BigInt(`0x${hex.slice(16)}`)).toString());
  return new UUID().setStructured(structured);
};

interface ProposedMessageLike {
  getId(): UuidMessage | undefined;
  getMetadataMap(): { get(key: string): string | undefined };
  getData_asU8(): Uint8Array;
  getCustomMetadata_asU8(): Uint8Array;
}

/** The server requires `type` and `content-type` in every proposed message's metadata map. */
export const proposedEventOf = (message: ProposedMessageLike): ProposedEvent => {
  const metadata = message.getMetadataMap();
  const type = metadata.get('type');
  const contentType = metadata.get('content-type');
  if (!type || !contentType) throw new ProtocolViolation('proposed message lacks "type" or "content-type"');
  return {
    id: uuidOf(message.getId()),
    type,
    contentType,
    data: message.getData_asU8(),
    customMetadata: message.getCustomMetadata_asU8(),
  };
};

interface ExpectedRevisionOptions {
  hasNoStream(): boolean;
  hasAny(): boolean;
  hasStreamExists(): boolean;
}

export const expectedRevisionOf = (
  options: ExpectedRevisionOptions,
  exactRevision: () => string | undefined,
): WireExpectedRevision => {
  if (options.hasAny()) return { kind: 'any' };
  if (options.hasNoStream()) return { kind: 'no_stream' };
  if (options.hasStreamExists()) return { kind: 'stream_exists' };
  const revision = exactRevision();
  if (revision === undefined) throw new ProtocolViolation('expected stream revision is required');
  return { kind: 'revision', revision: BigInt(revision) };
};

/** What servers before 22.10 put in the position fields of events read from a stream: -1 as an unsigned 64-bit number. */
export const UNKNOWN_POSITION = (1n << 64n) - 1n;

export interface ReadEventOptions {
  readonly uuidAsString: boolean;
  /** False to answer as a server before 22.10 does on stream reads: no position. */
  readonly withPosition: boolean;
}

const recordedEventMessage = (record: LogRecord, options: ReadEventOptions): RecordedEventMessage => {
  const position = (options.withPosition ? record.position : UNKNOWN_POSITION).toString();
  const message = new ReadResp.ReadEvent.RecordedEvent()
    .setId(uuidMessage(record.id, options.uuidAsString))
    .setStreamIdentifier(streamIdentifier(record.stream))
    .setStreamRevision(record.revision.toString())
    .setPreparePosition(position)
    .setCommitPosition(position)
    .setData(record.data)
    .setCustomMetadata(record.customMetadata);
  message
    .getMetadataMap()
    .set('type', record.type)
    .set('content-type', record.contentType)
    .set('created', record.createdTicks.toString());
  return message;
};

/**
 * Every write is self-committed, so like EventStoreDB since 22.10 the fake reports the event's
 * position on stream reads too, not only on $all reads (unless told to act older).
 */
export const readEventResponse = (record: LogRecord, options: ReadEventOptions): InstanceType<typeof ReadResp> => {
  const readEvent = new ReadResp.ReadEvent().setEvent(recordedEventMessage(record, options));
  if (options.withPosition) readEvent.setCommitPosition(record.position.toString());
  else readEvent.setNoPosition(new Empty());
  return new ReadResp().setEvent(readEvent);
};

export const streamNotFoundResponse = (stream: string): InstanceType<typeof ReadResp> =>
  new ReadResp().setStreamNotFound(new ReadResp.StreamNotFound().setStreamIdentifier(streamIdentifier(stream)));

export const emptyMessage = (): InstanceType<typeof Empty> => new Empty();
