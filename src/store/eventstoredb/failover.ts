/**
 * Riding out a leader change. When the leader of a cluster goes away, @eventstore/db-client fails
 * the calls in flight (UnavailableError, CancelledError, …) and rediscovers the leader through
 * gossip on the next call; a write that reaches a follower is refused with NotLeaderError naming
 * the leader, and the client reconnects there on the next call. It never retries a call itself.
 *
 * So the adapter retries, within a failover window: a read is simply asked again; a write whose
 * outcome is unknown is sent again *as it was* — the same event ids, hashes and exact expected
 * revision — so the server either writes it (it was lost) or recognises it by its ids (it had
 * landed) and answers with the original result. It is never written twice: the expected revision
 * lets it land only right after the head it was linked to. See docs/operations/eventstoredb.md.
 */
import {
  CancelledError,
  DeadlineExceededError,
  NotLeaderError,
  TimeoutError,
  UnavailableError,
  UnknownError,
} from '@eventstore/db-client';

/** How long a cluster connection keeps retrying through a leader change before failing the call. */
export const DEFAULT_FAILOVER_WINDOW_MS = 10_000;

/** NotLeader redirects followed per call even when the failover window is zero (a single node named directly). */
export const MAX_LEADER_REDIRECTS = 3;

export interface FailoverPolicy {
  /** Retry calls that failed for a leader change or an unreachable node for this long (0: only redirects). */
  readonly windowMs: number;
}

/** Outside a cluster: a node that does not answer is reported at once. */
export const NO_FAILOVER: FailoverPolicy = { windowMs: 0 };

/**
 * A connection string that names a cluster (gossip seeds, or DNS discovery) gets the failover
 * window; one that names a single node has no other node to fail over to, so a node that does
 * not answer is reported at once (a NotLeader redirect is still followed).
 */
export const defaultFailoverPolicy = (connectionString: string): FailoverPolicy => {
  const [scheme = '', rest = ''] = connectionString.split('://', 2);
  const hosts = (rest.split(/[/?]/, 1)[0] ?? '').replace(/^.*@/, '');
  const isCluster = scheme.toLowerCase().endsWith('+discover') || hosts.includes(',');
  return { windowMs: isCluster ? DEFAULT_FAILOVER_WINDOW_MS : 0 };
};

/** The client's discovery gives up with a plain Error after its own attempts. */
const DISCOVERY_FAILED = /^Failed to discover after \d+ attempts/;
/** What a node that is electing or overloaded answers a batched write, as the client words it. */
const NODE_NOT_READY = /Server Is Not Ready|Server Is Too Busy|Server Is Busy|No leader info available/;

/**
 * `not_leader`: a follower refused the call and named the leader; `not_ready`: a node refused it
 * for want of a leader, or found none; `no_answer`: the call was cut off (node gone, connection
 * lost, deadline) — for a write, whether it was written is unknown.
 */
export type TransientFailure = 'not_leader' | 'not_ready' | 'no_answer';

/** Failures a leader change or a restarting node causes, for which asking again is right. */
export const transientFailure = (error: unknown): TransientFailure | undefined => {
  if (error instanceof NotLeaderError) return 'not_leader';
  if (
    error instanceof UnavailableError ||
    error instanceof CancelledError ||
    error instanceof DeadlineExceededError ||
    error instanceof TimeoutError
  ) {
    return 'no_answer';
  }
  if (error instanceof UnknownError && NODE_NOT_READY.test(error.message)) return 'not_ready';
  if (error instanceof Error && DISCOVERY_FAILED.test(error.message)) return 'not_ready';
  return undefined;
};

/** No leader answered within the failover window, and nothing was written. */
export class EventStoreUnavailable extends Error {
  override readonly name = 'EventStoreUnavailable';
}

/**
 * A write was sent, no answer came back, and none came within the failover window: it may have
 * been written — once, never twice — or not at all. Read the stream before deciding again.
 */
export class AppendOutcomeUnknown extends Error {
  override readonly name = 'AppendOutcomeUnknown';
}

const describe = (error: unknown): string =>
  error instanceof Error ? `${error.name}: ${error.message}` : String(error);

/** Waits 25 ms, then twice as long each time, up to a second. */
const backoff = (retry: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, Math.min(1000, 25 * 2 ** retry)));

/** Keeps track of one call's retries: until its window closes, or its redirects are used up. */
export class FailoverWindow {
  readonly #deadline: number;
  #redirects = 0;
  #retries = 0;

  constructor(policy: FailoverPolicy) {
    this.#deadline = Date.now() + policy.windowMs;
  }

  /**
   * Resolves (after a pause) when the call that failed with `error` should be made again. Throws
   * otherwise: `error` itself when it is no failover failure, else what `giveUp` makes of it.
   */
  async retryAfter(error: unknown, giveUp: (description: string, cause: unknown) => Error): Promise<TransientFailure> {
    const failure = transientFailure(error);
    if (failure === undefined) throw error;
    const redirect = failure === 'not_leader' && this.#redirects < MAX_LEADER_REDIRECTS;
    if (!redirect && Date.now() >= this.#deadline) throw giveUp(describe(error), error);
    if (failure === 'not_leader') this.#redirects += 1;
    await backoff(this.#retries);
    this.#retries += 1;
    return failure;
  }
}

/** Runs a call that is safe to repeat (a read) until it succeeds or the window closes. */
export const retryRead = async <T>(policy: FailoverPolicy, what: string, call: () => Promise<T>): Promise<T> => {
  const window = new FailoverWindow(policy);
  for (;;) {
    try {
      return await call();
    } catch (error) {
      await window.retryAfter(
        error,
        (description, cause) =>
          new EventStoreUnavailable(`${what} failed: no EventStoreDB leader or node answered (${description})`, {
            cause,
          }),
      );
    }
  }
};
