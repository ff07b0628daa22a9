import * as E from 'fp-ts/lib/Either.js';
import { type DomainEvent, decodeEvent, describeDecodeErrors } from '../domain/events.js';
import type { RecordedEvent } from '../store/event-store.js';

/**
 * A read model as a pure fold over the log. `evolve` is the pure API; `evolveInPlace` is the
 * fast path for a fold that owns its state (the runner, a rebuild, an as-of query) and would
 * otherwise copy the whole state on every event. Method syntax keeps any Projection<S> usable
 * where a Projection<unknown> is expected (lists of projections, combineProjections).
 */
export interface Projection<State> {
  readonly name: string;
  /** Bump when the fold or the state's shape changes: checkpoints of other versions are ignored. */
  readonly version: number;
  initialState(): State;
  /** Pure: returns the next state and leaves `state` as it was. */
  evolve(state: State, event: RecordedEvent): State;
  /** Updates `state` in place. Only for a caller that owns `state` and shares no reference to it. */
  evolveInPlace(state: State, event: RecordedEvent): void;
  /** The event types this fold reads; it skips the others without decoding them. */
  readonly eventTypes: ReadonlySet<string>;
  /** The in-place fold of an already decoded event, so several projections can share one decode. */
  applyDecoded(state: State, event: DomainEvent, recorded: RecordedEvent): void;
  /** A deep copy: a snapshot nothing will mutate later. */
  clone(state: State): State;
  /** JSON text, bigint-safe, for checkpoints. */
  serialize(state: State): string;
  deserialize(json: string): State;
}

/** A stored event of a known type whose data does not decode: the log or the code is broken. */
export class UndecodableEvent extends Error {
  override readonly name = 'UndecodableEvent';
  constructor(
    readonly event: Pick<RecordedEvent, 'position' | 'stream' | 'type' | 'schemaVersion'>,
    detail: string,
  ) {
    super(`event ${event.type} v${event.schemaVersion} at position ${event.position} in ${event.stream}: ${detail}`);
  }
}

export interface ProjectionDefinition<State, Json> {
  readonly name: string;
  readonly version: number;
  /** The event types this fold reads; others are skipped before decoding. */
  readonly eventTypes: readonly DomainEvent['type'][];
  readonly initialState: () => State;
  /** Applies one decoded event to `state`, in place. */
  readonly apply: (state: State, event: DomainEvent, recorded: RecordedEvent) => void;
  readonly clone: (state: State) => State;
  readonly toJson: (state: State) => Json;
  readonly fromJson: (json: Json) => State;
}

/** Decodes a stored event of a known type; throws UndecodableEvent when its data does not fit. */
export const decodeRecorded = (recorded: RecordedEvent): DomainEvent => {
  const decoded = decodeEvent(recorded.type, recorded.schemaVersion, recorded.data);
  if (E.isLeft(decoded)) throw new UndecodableEvent(recorded, describeDecodeErrors(decoded.left));
  return decoded.right;
};

/**
 * Builds a Projection from an in-place `apply`. Events of other types (including types this
 * version of APEX does not know) are ignored; a known type that fails to decode throws
 * UndecodableEvent, because a read model that silently skips a charge would lie.
 */
export const defineProjection = <State, Json>(definition: ProjectionDefinition<State, Json>): Projection<State> => {
  const relevant: ReadonlySet<string> = new Set(definition.eventTypes);

  const evolveInPlace = (state: State, recorded: RecordedEvent): void => {
    if (relevant.has(recorded.type)) definition.apply(state, decodeRecorded(recorded), recorded);
  };

  return {
    name: definition.name,
    version: definition.version,
    initialState: definition.initialState,
    eventTypes: relevant,
    applyDecoded: definition.apply,
    evolveInPlace,
    evolve: (state, recorded) => {
      if (!relevant.has(recorded.type)) return state;
      const next = definition.clone(state);
      evolveInPlace(next, recorded);
      return next;
    },
    clone: definition.clone,
    serialize: (state) => JSON.stringify(definition.toJson(state)),
    deserialize: (json) => definition.fromJson(JSON.parse(json) as Json),
  };
};

/** Folds events into a fresh state with the fast path (the state never escapes half-built). */
export const foldRecorded = <State>(projection: Projection<State>, events: Iterable<RecordedEvent>): State => {
  const state = projection.initialState();
  for (const event of events) projection.evolveInPlace(state, event);
  return state;
};

/** bigint ↔ JSON string, for checkpoints. */
export const bigintToJson = (value: bigint): string => value.toString();
export const bigintFromJson = (value: string): bigint => BigInt(value);

/** Keeps `sessionAgents` (session stream → agent) up to date: set when a session starts, dropped when it ends. */
export const trackSessionAgent = (
  sessionAgents: Map<string, string>,
  event: DomainEvent,
  recorded: RecordedEvent,
): void => {
  if (event.type === 'SessionStarted') sessionAgents.set(recorded.stream, event.data.agent);
  else if (event.type === 'SessionEnded') sessionAgents.delete(recorded.stream);
};

/** The agent behind a session event: its metadata, or the agent the session started for. */
export const agentOfSessionEvent = (
  recorded: RecordedEvent,
  sessionAgents: ReadonlyMap<string, string>,
): string | undefined => recorded.metadata.agent ?? sessionAgents.get(recorded.stream);
