import { BehaviorSubject, defer, type Observable, type Subscription } from 'rxjs';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import type { CheckpointStore } from './checkpoint-store.js';
import type { Projection } from './projection.js';

/** Events folded between two checkpoints; a restart replays at most this many. */
export const DEFAULT_CHECKPOINT_EVERY = 10_000;

export interface RunProjectionOptions {
  readonly checkpointEvery?: number;
}

export interface RunningProjection<State> {
  /**
   * Snapshots of the state: the current one on subscribe, the caught-up one, then one after
   * each burst of live events (bursts are coalesced; each snapshot is a copy nothing mutates).
   */
  readonly state$: Observable<State>;
  /** The state after the last event folded (a snapshot). */
  current(): State;
  /** Position of the last event folded, or -1n. */
  position(): bigint;
  /** Resolves once the fold reached the head of the log as it was at start. */
  readonly caughtUp: Promise<void>;
  /** Stops following the log and writes a final checkpoint. */
  stop(): Promise<void>;
}

export class ProjectionStopped extends Error {
  override readonly name = 'ProjectionStopped';
}

/** A checkpoint belongs to one version of a projection; a new version rebuilds from the start. */
export const checkpointNameOf = (projection: { readonly name: string; readonly version: number }): string =>
  `${projection.name}@v${projection.version}`;

/**
 * Follows the store's `$all` feed from the projection's last checkpoint, folding each event in
 * place into a state only this runner holds, and checkpointing every `checkpointEvery` events
 * and on stop. Readers get copies (current(), state$), taken lazily and at most once per burst.
 */
export const runProjection = <State>(
  store: EventStore,
  projection: Projection<State>,
  checkpoints: CheckpointStore,
  options: RunProjectionOptions = {},
): RunningProjection<State> => {
  const checkpointEvery = options.checkpointEvery ?? DEFAULT_CHECKPOINT_EVERY;
  if (!Number.isSafeInteger(checkpointEvery) || checkpointEvery < 1) {
    throw new RangeError('checkpointEvery must be a positive integer');
  }
  const name = checkpointNameOf(projection);

  let working = projection.initialState();
  let position = -1n;
  let checkpointedAt = -1n;
  let sinceCheckpoint = 0;
  let snapshot = projection.clone(working);
  let snapshotIsStale = false;
  let isCaughtUp = false;
  let stopped = false;
  let failed = false;
  let subscription: Subscription | undefined;
  let publishTimer: NodeJS.Immediate | undefined;
  let saving: Promise<void> = Promise.resolve();
  let checkpointFailure: unknown;
  let stopping: Promise<void> | undefined;

  const states = new BehaviorSubject<State>(snapshot);
  let resolveCaughtUp: () => void = () => {};
  let rejectCaughtUp: (reason: unknown) => void = () => {};
  const caughtUp = new Promise<void>((resolve, reject) => {
    resolveCaughtUp = resolve;
    rejectCaughtUp = reject;
  });
  // Whoever awaits caughtUp sees a failure; nobody awaiting it is not an unhandled rejection.
  caughtUp.catch(() => {});

  const current = (): State => {
    if (snapshotIsStale) {
      snapshot = projection.clone(working);
      snapshotIsStale = false;
    }
    return snapshot;
  };

  const publish = (): void => {
    publishTimer = undefined;
    if (!stopped && !failed) states.next(current());
  };

  // One snapshot per turn of the event loop, and none while nobody listens.
  const schedulePublish = (): void => {
    if (publishTimer === undefined && states.observed) publishTimer = setImmediate(publish);
  };

  const checkpoint = (): void => {
    if (position === checkpointedAt) return;
    const at = position;
    const stateJson = projection.serialize(working);
    checkpointedAt = at;
    sinceCheckpoint = 0;
    saving = saving
      .then(() => checkpoints.save(name, at, stateJson))
      .catch((error: unknown) => {
        checkpointFailure ??= error;
      });
  };

  const fail = (error: unknown): void => {
    if (stopped || failed) return;
    failed = true;
    subscription?.unsubscribe();
    rejectCaughtUp(error);
    states.error(error);
  };

  let headAtStart = -1n;
  const markCaughtUp = (): void => {
    isCaughtUp = true;
    resolveCaughtUp();
    states.next(current());
  };

  const onEvent = (event: RecordedEvent): void => {
    if (stopped || failed) return;
    try {
      projection.evolveInPlace(working, event);
    } catch (error) {
      // The working state may be half-updated: never checkpoint or publish it.
      fail(error);
      return;
    }
    position = event.position;
    snapshotIsStale = true;
    sinceCheckpoint += 1;
    if (sinceCheckpoint >= checkpointEvery) checkpoint();
    if (!isCaughtUp) {
      if (position >= headAtStart) markCaughtUp();
    } else {
      schedulePublish();
    }
  };

  const start = async (): Promise<void> => {
    const saved = await checkpoints.load(name);
    if (stopped) return;
    if (saved !== undefined) {
      working = projection.deserialize(saved.stateJson);
      position = saved.position;
      checkpointedAt = saved.position;
      snapshotIsStale = true;
    }
    headAtStart = await store.headPosition();
    if (stopped) return;
    if (position >= headAtStart) markCaughtUp();
    else if (snapshotIsStale) states.next(current());
    const sub = store.subscribeAll(position < 0n ? undefined : position).subscribe({
      next: onEvent,
      error: fail,
      complete: () => {
        if (!isCaughtUp) fail(new Error(`the event feed ended before projection ${name} caught up`));
      },
    });
    subscription = sub;
    // The feed may have emitted (and we may have failed or stopped) inside subscribe().
    if (stopped || failed) sub.unsubscribe();
  };
  start().catch(fail);

  const stop = (): Promise<void> => {
    stopping ??= (async () => {
      if (!failed) checkpoint();
      stopped = true;
      subscription?.unsubscribe();
      if (publishTimer !== undefined) clearImmediate(publishTimer);
      if (!isCaughtUp) rejectCaughtUp(new ProjectionStopped(`projection ${name} was stopped before it caught up`));
      await saving;
      if (!failed) states.complete();
      if (checkpointFailure !== undefined) throw checkpointFailure;
    })();
    return stopping;
  };

  return {
    // A late subscriber gets the state as it is now, not as it was at the last publication.
    state$: defer(() => {
      if (snapshotIsStale && !stopped && !failed) states.next(current());
      return states.asObservable();
    }),
    current,
    position: () => position,
    caughtUp,
    stop,
  };
};
