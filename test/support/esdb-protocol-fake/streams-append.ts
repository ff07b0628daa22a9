/**
 * Streams.Append (one client stream per write) and Streams.BatchAppend (one long-lived duplex
 * stream carrying many writes, told apart by correlation id): the client uses BatchAppend when
 * the server advertises it, as every server since 21.10 does, and Append otherwise.
 */
import type { ServerDuplexStream, ServerReadableStream, sendUnaryData } from '@grpc/grpc-js';
import { status } from '@grpc/grpc-js';
import {
  AllStreamPosition,
  Any,
  type AppendRequest,
  AppendResp,
  type AppendResponse,
  type BatchAppendRequest,
  BatchAppendResp,
  type BatchAppendResponse,
  Code,
  Empty,
  GoogleEmpty,
  Status,
  WrongExpectedVersion,
} from './generated-protocol.js';
import { admitWrite, countWrite, type NodeRole, notLeaderError, notReadyError, SERVER_NOT_READY } from './node-role.js';
import type { AppendOutcome, ProposedEvent, TransactionLog, WireExpectedRevision } from './transaction-log.js';
import { expectedRevisionOf, grpcError, proposedEventOf, streamIdentifier, streamNameOf, uuidOf } from './wire.js';

interface PendingWrite {
  stream: string;
  expected: WireExpectedRevision;
  readonly events: ProposedEvent[];
}

const describe = (error: unknown): string => (error instanceof Error ? error.message : String(error));

const appendResponse = (outcome: AppendOutcome, expected: WireExpectedRevision): AppendResponse => {
  if (outcome.kind === 'wrong_expected_version') {
    const failure = new AppendResp.WrongExpectedVersion();
    if (outcome.current === 'no_stream') failure.setCurrentNoStream(new Empty()).setNoStream2060(new Empty());
    else failure.setCurrentRevision(outcome.current.toString()).setCurrentRevision2060(Number(outcome.current));
    if (expected.kind === 'any') failure.setExpectedAny(new Empty()).setAny2060(new Empty());
    else if (expected.kind === 'stream_exists')
      failure.setExpectedStreamExists(new Empty()).setStreamExists2060(new Empty());
    else if (expected.kind === 'no_stream') failure.setExpectedNoStream(new Empty());
    else failure.setExpectedRevision(expected.revision.toString()).setExpectedRevision2060(Number(expected.revision));
    return new AppendResp().setWrongExpectedVersion(failure);
  }
  const success = new AppendResp.Success();
  if (outcome.kind === 'nothing_to_write') {
    if (outcome.current === 'no_stream') success.setNoStream(new Empty());
    else success.setCurrentRevision(outcome.current.toString());
    return new AppendResp().setSuccess(success.setNoPosition(new Empty()));
  }
  const position = new AppendResp.Position()
    .setCommitPosition(outcome.commitPosition.toString())
    .setPreparePosition(outcome.preparePosition.toString());
  return new AppendResp().setSuccess(success.setCurrentRevision(outcome.lastRevision.toString()).setPosition(position));
};

export const appendHandler =
  (log: TransactionLog, node: NodeRole) =>
  (call: ServerReadableStream<AppendRequest, AppendResponse>, callback: sendUnaryData<AppendResponse>): void => {
    let write: PendingWrite | undefined;
    let violation: unknown;
    call.on('data', (request: AppendRequest) => {
      if (violation !== undefined) return;
      try {
        const options = request.getOptions();
        if (options !== undefined) {
          const expected = expectedRevisionOf(options, () =>
            options.hasRevision() ? options.getRevision() : undefined,
          );
          write = { stream: streamNameOf(options.getStreamIdentifier()), expected, events: [] };
        } else if (write === undefined) {
          violation = new Error('the first append message must carry the options');
        } else {
          write.events.push(proposedEventOf(request.getProposedMessage()!));
        }
      } catch (error) {
        violation = error;
      }
    });
    call.on('end', () => {
      if (violation !== undefined || write === undefined) {
        callback(grpcError(status.INVALID_ARGUMENT, describe(violation ?? 'no append options were sent')));
        return;
      }
      const admission = admitWrite(node, call.metadata);
      if (admission.kind === 'not_leader') {
        node.stats.notLeaderRefusals += 1;
        callback(notLeaderError(admission.leader));
        return;
      }
      if (admission.kind === 'not_ready') {
        node.stats.notReadyRefusals += 1;
        callback(notReadyError());
        return;
      }
      const outcome = log.append(write.stream, write.expected, write.events);
      countWrite(node, admission, outcome);
      const { expected } = write;
      node.deliver(() => callback(null, appendResponse(outcome, expected)));
    });
  };

const packed = (message: { serializeBinary(): Uint8Array }, typeName: string): InstanceType<typeof Any> => {
  const any = new Any();
  any.pack(message.serializeBinary(), typeName);
  return any;
};

const wrongExpectedVersionStatus = (
  current: bigint | 'no_stream',
  expected: WireExpectedRevision,
): InstanceType<typeof Status> => {
  const details = new WrongExpectedVersion();
  if (current === 'no_stream') details.setCurrentNoStream(new GoogleEmpty());
  else details.setCurrentStreamRevision(current.toString());
  if (expected.kind === 'any') details.setExpectedAny(new GoogleEmpty());
  else if (expected.kind === 'stream_exists') details.setExpectedStreamExists(new GoogleEmpty());
  else if (expected.kind === 'no_stream') details.setExpectedNoStream(new GoogleEmpty());
  else details.setExpectedStreamPosition(expected.revision.toString());
  return new Status()
    .setCode(Code.FAILED_PRECONDITION)
    .setMessage('WrongExpectedVersion')
    .setDetails(packed(details, 'event_store.client.WrongExpectedVersion'));
};

const batchAppendResponse = (
  request: BatchAppendRequest,
  write: PendingWrite,
  outcome: AppendOutcome,
): BatchAppendResponse => {
  const response = new BatchAppendResp()
    .setCorrelationId(request.getCorrelationId())
    .setStreamIdentifier(streamIdentifier(write.stream));
  const { expected } = write;
  if (expected.kind === 'any') response.setAny(new GoogleEmpty());
  else if (expected.kind === 'stream_exists') response.setStreamExists(new GoogleEmpty());
  else if (expected.kind === 'no_stream') response.setNoStream(new GoogleEmpty());
  else response.setStreamPosition(expected.revision.toString());

  if (outcome.kind === 'wrong_expected_version')
    return response.setError(wrongExpectedVersionStatus(outcome.current, expected));
  const success = new BatchAppendResp.Success();
  if (outcome.kind === 'nothing_to_write') {
    if (outcome.current === 'no_stream') success.setNoStream(new GoogleEmpty());
    else success.setCurrentRevision(outcome.current.toString());
    return response.setSuccess(success.setNoPosition(new GoogleEmpty()));
  }
  const position = new AllStreamPosition()
    .setCommitPosition(outcome.commitPosition.toString())
    .setPreparePosition(outcome.preparePosition.toString());
  return response.setSuccess(success.setCurrentRevision(outcome.lastRevision.toString()).setPosition(position));
};

/**
 * A node without a leader answers a batched write with a status that has a message, no code and
 * an empty message as details (so the client cannot map it to one of its errors).
 */
const notReadyResponse = (request: BatchAppendRequest, stream: string): BatchAppendResponse =>
  new BatchAppendResp()
    .setCorrelationId(request.getCorrelationId())
    .setStreamIdentifier(streamIdentifier(stream))
    .setError(new Status().setMessage(SERVER_NOT_READY).setDetails(packed(new GoogleEmpty(), 'google.protobuf.Empty')));

/** The server names the stream in every reply; the client reads it from error replies too. */
const badRequest = (request: BatchAppendRequest, stream: string | undefined, error: unknown): BatchAppendResponse => {
  const details = new Status()
    .setCode(Code.INVALID_ARGUMENT)
    .setMessage(describe(error))
    .setDetails(packed(new Empty(), 'event_store.client.BadRequest'));
  const response = new BatchAppendResp().setCorrelationId(request.getCorrelationId()).setError(details);
  return stream === undefined ? response : response.setStreamIdentifier(streamIdentifier(stream));
};

export const batchAppendHandler =
  (log: TransactionLog, node: NodeRole) =>
  (call: ServerDuplexStream<BatchAppendRequest, BatchAppendResponse>): void => {
    const pending = new Map<string, PendingWrite>();
    /** A refusal with the leader's endpoint ends the whole call, as the server's exception does. */
    let refused = false;
    call.on('data', (request: BatchAppendRequest) => {
      if (refused) return;
      let correlation = '';
      let stream: string | undefined;
      try {
        correlation = uuidOf(request.getCorrelationId());
        let write = pending.get(correlation);
        stream = write?.stream;
        if (write === undefined) {
          const options = request.getOptions();
          if (options === undefined) throw new Error('the first request of a batch must carry the options');
          const expected = expectedRevisionOf(options, () =>
            options.hasStreamPosition() ? options.getStreamPosition() : undefined,
          );
          stream = streamNameOf(options.getStreamIdentifier());
          write = { stream, expected, events: [] };
          pending.set(correlation, write);
        }
        write.events.push(...request.getProposedMessagesList().map(proposedEventOf));
        if (!request.getIsFinal()) return;
        pending.delete(correlation);
        const admission = admitWrite(node, call.metadata);
        if (admission.kind === 'not_leader') {
          node.stats.notLeaderRefusals += 1;
          refused = true;
          call.emit('error', notLeaderError(admission.leader));
          return;
        }
        if (admission.kind === 'not_ready') {
          node.stats.notReadyRefusals += 1;
          call.write(notReadyResponse(request, write.stream));
          return;
        }
        const outcome = log.append(write.stream, write.expected, write.events);
        countWrite(node, admission, outcome);
        const reply = batchAppendResponse(request, write, outcome);
        node.deliver(() => {
          if (!call.cancelled && !call.writableEnded) call.write(reply);
        });
      } catch (error) {
        pending.delete(correlation);
        call.write(badRequest(request, stream, error));
      }
    });
    call.on('end', () => call.end());
  };
