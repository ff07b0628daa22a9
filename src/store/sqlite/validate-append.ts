import type { ExpectedRevision, NewEvent } from '../event-store.js';
import { serializeMetadata } from '../hash-chain.js';
import { isValidStreamName } from '../stream-name.js';
import { uuidV7 } from './uuid-v7.js';

/** A caller bug (bad stream name, unserializable data, …): the append is rejected, never queued. */
export class InvalidAppend extends Error {
  override readonly name = 'InvalidAppend';
}

/** An event checked and serialized at call time, so later mutation by the caller cannot change it. */
export interface PreparedEvent {
  readonly id: string;
  /** True when the caller chose the id: only those take part in idempotent replays. */
  readonly idGivenByCaller: boolean;
  readonly type: string;
  readonly schemaVersion: number;
  readonly dataJson: string;
  readonly metadataJson: string;
}

export interface PreparedAppend {
  readonly stream: string;
  readonly expected: ExpectedRevision;
  readonly events: readonly PreparedEvent[];
}

const UUID_PATTERN = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const isExpectedRevision = (expected: unknown): expected is ExpectedRevision =>
  expected === 'any' ||
  expected === 'no_stream' ||
  expected === 'stream_exists' ||
  (typeof expected === 'bigint' && expected >= 0n);

/** Runs a serializer; a throw (cycle, bigint) or undefined (function, symbol) is a caller bug. */
const serializeWith = (serialize: () => string | undefined, what: string): string => {
  let json: string | undefined;
  try {
    json = serialize();
  } catch (error) {
    throw new InvalidAppend(`${what} is not JSON-serializable: ${(error as Error).message}`);
  }
  if (typeof json !== 'string') throw new InvalidAppend(`${what} is not JSON-serializable`);
  return json;
};

const prepareEvent = (event: NewEvent, index: number): PreparedEvent => {
  const where = `event #${index}`;
  if (typeof event !== 'object' || event === null) throw new InvalidAppend(`${where} is not an object`);
  if (typeof event.type !== 'string' || event.type.length === 0 || /[\n\r]/.test(event.type)) {
    throw new InvalidAppend(`${where}: type must be a non-empty string without line breaks`);
  }
  if (!Number.isSafeInteger(event.schemaVersion) || event.schemaVersion < 0) {
    throw new InvalidAppend(`${where} (${event.type}): schemaVersion must be a non-negative integer`);
  }
  if (event.id !== undefined && (typeof event.id !== 'string' || !UUID_PATTERN.test(event.id))) {
    throw new InvalidAppend(`${where} (${event.type}): id must be a UUID`);
  }
  const metadata: unknown = event.metadata;
  if (typeof metadata !== 'object' || metadata === null || Array.isArray(metadata)) {
    throw new InvalidAppend(`${where} (${event.type}): metadata must be an object`);
  }
  return {
    // Lower case so that one UUID spelled two ways is still one id.
    id: event.id === undefined ? uuidV7() : event.id.toLowerCase(),
    idGivenByCaller: event.id !== undefined,
    type: event.type,
    schemaVersion: event.schemaVersion,
    dataJson: serializeWith(() => JSON.stringify(event.data), `${where} (${event.type}) data`),
    metadataJson: serializeWith(() => serializeMetadata(event.metadata), `${where} (${event.type}) metadata`),
  };
};

/** Checks and serializes an append synchronously; throws InvalidAppend for caller bugs. */
export const prepareAppend = (
  stream: string,
  expected: ExpectedRevision,
  events: readonly NewEvent[],
): PreparedAppend => {
  if (typeof stream !== 'string' || !isValidStreamName(stream)) {
    throw new InvalidAppend(`invalid stream name: ${JSON.stringify(stream)}`);
  }
  if (!isExpectedRevision(expected)) {
    throw new InvalidAppend(`invalid expected revision for ${stream}: ${String(expected)}`);
  }
  if (!Array.isArray(events) || events.length === 0) {
    throw new InvalidAppend(`append to ${stream} needs at least one event`);
  }
  const prepared = events.map(prepareEvent);
  const ids = new Set(prepared.map((event) => event.id));
  if (ids.size !== prepared.length) throw new InvalidAppend(`append to ${stream} repeats an event id`);
  return { stream, expected, events: prepared };
};
