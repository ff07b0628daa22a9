import type { Either } from 'fp-ts/lib/Either.js';
import type { DomainError } from './errors.js';

/**
 * Emmett's Decider: an aggregate is three pure functions. `decide` turns a command into the
 * events that record it (or a refusal); `evolve` folds an event into the state `decide` needs.
 */
export interface Decider<Command, Event, State> {
  readonly initialState: () => State;
  readonly evolve: (state: State, event: Event) => State;
  readonly decide: (command: Command, state: State) => Either<DomainError, readonly Event[]>;
}

/** Folds a stream's events from the initial state. */
export const foldEvents = <Command, Event, State>(
  decider: Decider<Command, Event, State>,
  events: Iterable<Event>,
): State => {
  let state = decider.initialState();
  for (const event of events) state = decider.evolve(state, event);
  return state;
};
