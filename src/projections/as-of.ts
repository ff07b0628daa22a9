import type { RecordedEvent } from '../store/event-store.js';
import type { Projection } from './projection.js';

/** A point in the log: a global position, or a moment in time. */
export type AsOf = { readonly position: bigint } | { readonly time: Date };

/**
 * The projection's state as it was at `at`: the fold of every event up to and including that
 * position, or of the longest prefix of the log stamped at or before that time. A prefix (and
 * not "every event stamped ≤ t") keeps the answer a state the system really was in, even if
 * two writers' clocks disagree. `events` must be in position order (e.g. store.readAll()).
 */
export const evaluateAsOf = async <State>(
  projection: Projection<State>,
  events: AsyncIterable<RecordedEvent>,
  at: AsOf,
): Promise<State> => {
  const state = projection.initialState();
  const isAfter =
    'position' in at
      ? (event: RecordedEvent) => event.position > at.position
      : (event: RecordedEvent) => Date.parse(event.metadata.timestamp) > at.time.getTime();
  for await (const event of events) {
    if (isAfter(event)) break;
    projection.evolveInPlace(state, event);
  }
  return state;
};
