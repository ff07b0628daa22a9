import { type DomainEvent, encodeEvent } from '../../../src/domain/events.js';
import type { NewEvent, RecordedEvent } from '../../../src/store/event-store.js';

export const START_TIME_MS = Date.parse('2026-11-25T10:00:00.000Z');

/**
 * Builds a log of RecordedEvents by hand, as the store would hold it: encoded data (money as
 * strings, through JSON), positions from 0, one second between events unless told otherwise.
 */
export const recordedLog = () => {
  const events: RecordedEvent[] = [];
  const revisions = new Map<string, bigint>();
  let clockMs = START_TIME_MS;

  const record = (
    stream: string,
    event: DomainEvent,
    options: { readonly agent?: string; readonly atMs?: number } = {},
  ): RecordedEvent => {
    const encoded = encodeEvent(event);
    const revision = revisions.get(stream) ?? 0n;
    revisions.set(stream, revision + 1n);
    clockMs = options.atMs ?? clockMs + 1000;
    const recorded: RecordedEvent = {
      id: `e${events.length}`,
      stream,
      revision,
      position: BigInt(events.length),
      type: encoded.type,
      schemaVersion: encoded.schemaVersion,
      data: JSON.parse(JSON.stringify(encoded.data)),
      metadata: {
        timestamp: new Date(clockMs).toISOString(),
        ...(options.agent === undefined ? {} : { agent: options.agent }),
      },
      prevHash: '',
      hash: '',
    };
    events.push(recorded);
    return recorded;
  };

  /** A stored event of a type this version of APEX does not know. */
  const recordForeign = (stream: string, type: string, data: unknown): RecordedEvent => {
    clockMs += 1000;
    const recorded: RecordedEvent = {
      id: `e${events.length}`,
      stream,
      revision: revisions.get(stream) ?? 0n,
      position: BigInt(events.length),
      type,
      schemaVersion: 1,
      data,
      metadata: { timestamp: new Date(clockMs).toISOString() },
      prevHash: '',
      hash: '',
    };
    revisions.set(stream, recorded.revision + 1n);
    events.push(recorded);
    return recorded;
  };

  return { events, record, recordForeign };
};

/** A domain event as the store's append wants it. */
export const toNewEvent = (event: DomainEvent, metadata: { readonly agent?: string } = {}): NewEvent => {
  const encoded = encodeEvent(event);
  return {
    type: encoded.type,
    schemaVersion: encoded.schemaVersion,
    data: encoded.data,
    metadata: { timestamp: new Date().toISOString(), ...metadata },
  };
};
