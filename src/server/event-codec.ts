import type { DomainEvent } from '../domain/events.js';
import { encodeEvent } from '../domain/events.js';
import { decodeRecorded } from '../projections/projection.js';
import type { EventCodec } from './aggregate.js';

/** One decoder for stored events everywhere: an event this build cannot read throws, never silently skipped. */
export { decodeRecorded };

/** The codec for an aggregate whose stream holds only events of type `Event`. */
export const domainEventCodec = <Event extends DomainEvent>(): EventCodec<Event> => ({
  encode: encodeEvent,
  decode: (recorded) => decodeRecorded(recorded) as Event,
});
