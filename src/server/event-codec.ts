import * as E from 'fp-ts/lib/Either.js';
import { type DomainEvent, decodeEvent, describeDecodeErrors, encodeEvent } from '../domain/events.js';
import type { RecordedEvent } from '../store/event-store.js';
import type { EventCodec } from './aggregate.js';

/** Thrown when the log holds an event this build cannot read: never silently skipped. */
export class UnreadableEvent extends Error {
  override readonly name = 'UnreadableEvent';
}

export const decodeRecorded = (recorded: RecordedEvent): DomainEvent => {
  const decoded = decodeEvent(recorded.type, recorded.schemaVersion, recorded.data);
  if (E.isLeft(decoded)) {
    throw new UnreadableEvent(
      `event at position ${recorded.position} (${recorded.stream}@${recorded.revision}, ${recorded.type}) ` +
        `cannot be read: ${describeDecodeErrors(decoded.left)}`,
    );
  }
  return decoded.right;
};

/** The codec for an aggregate whose stream holds only events of type `Event`. */
export const domainEventCodec = <Event extends DomainEvent>(): EventCodec<Event> => ({
  encode: encodeEvent,
  decode: (recorded) => decodeRecorded(recorded) as Event,
});
