/**
 * A node's place in a cluster of protocol fakes, as the services need it: is this node the leader,
 * and if not, where is the leader. The answers follow EventStoreDB's rules for a node that is not
 * the leader (read from the server's source, not observed on a real cluster):
 *
 * - A write whose call carries the `requires-leader: true` header is refused with the leader's
 *   endpoint: gRPC status NOT_FOUND, "Leader info available", trailers `exception: not-leader`,
 *   `leader-endpoint-host`, `leader-endpoint-port`. The client turns that into NotLeaderError and
 *   reconnects to that endpoint. Through Streams.BatchAppend the refusal ends the whole call.
 * - A write without that header is forwarded to the leader. Here all nodes share one transaction
 *   log, so forwarding is writing to it, counted apart.
 * - With no leader (an election), a write is refused as "Server Is Not Ready": UNAVAILABLE through
 *   Streams.Append; through Streams.BatchAppend a per-write error status whose details are an
 *   empty message, which the client reports as UnknownError("Could not recognize Server Is Not Ready").
 * - Reads are served by any node; with `requires-leader: true`, a follower refuses them as it
 *   refuses writes.
 */
import { type Metadata, type ServiceError, status } from '@grpc/grpc-js';
import type { AppendOutcome } from './transaction-log.js';
import { grpcError } from './wire.js';

export interface Endpoint {
  readonly address: string;
  readonly port: number;
}

/** `self`: this node leads (a single node always does); an endpoint: another node leads; `none`: an election. */
export type LeaderView = 'self' | Endpoint | 'none';

/** What a node counts, so that tests can tell which node served what. */
export interface NodeStats {
  /** Writes this node decided as the leader (written, recognised as retries, or refused for their expected revision). */
  writesAsLeader: number;
  /** Writes this node, as the leader, recognised by their event ids as already stored (answered with the stored result). */
  retriesRecognised: number;
  /** Writes this node, as the leader, refused because the stream was not at their expected revision. */
  expectedRevisionRefusals: number;
  /** Writes this follower forwarded to the leader (no `requires-leader` header). */
  writesForwarded: number;
  /** Calls refused with the leader's endpoint. */
  notLeaderRefusals: number;
  /** Writes refused because no leader was known. */
  notReadyRefusals: number;
  /** Replies to committed writes that were never sent (held, then the node stopped). */
  repliesDropped: number;
  /** Catch-up subscriptions to $all this node took (and confirmed). */
  subscriptionsServed: number;
}

export const newNodeStats = (): NodeStats => ({
  writesAsLeader: 0,
  retriesRecognised: 0,
  expectedRevisionRefusals: 0,
  writesForwarded: 0,
  notLeaderRefusals: 0,
  notReadyRefusals: 0,
  repliesDropped: 0,
  subscriptionsServed: 0,
});

export interface NodeRole {
  leader(): LeaderView;
  /**
   * Sends the reply to a committed write. A cluster node can hold replies back to stand for a
   * leader that committed a write and died before answering.
   */
  deliver(reply: () => void): void;
  readonly stats: NodeStats;
}

/** A node on its own: always the leader, replies at once. */
export const standaloneNode = (): NodeRole => ({
  leader: () => 'self',
  deliver: (reply) => reply(),
  stats: newNodeStats(),
});

export const requiresLeader = (metadata: Metadata): boolean =>
  metadata.get('requires-leader').some((value) => String(value).toLowerCase() === 'true');

/** What the server sends when a request that needs the leader reaches another node. */
export const notLeaderError = (leader: Endpoint): Partial<ServiceError> => {
  const error = grpcError(status.NOT_FOUND, 'Leader info available', 'not-leader');
  error.metadata!.set('leader-endpoint-host', leader.address);
  error.metadata!.set('leader-endpoint-port', String(leader.port));
  return error;
};

export const SERVER_NOT_READY = 'Server Is Not Ready';

export const notReadyError = (): Partial<ServiceError> => grpcError(status.UNAVAILABLE, SERVER_NOT_READY);

/**
 * How a node answers a write, before touching the log: `commit` (the leader), `forward` (a
 * follower passing it on), or a refusal.
 */
export type WriteAdmission =
  | { readonly kind: 'commit' }
  | { readonly kind: 'forward' }
  | { readonly kind: 'not_leader'; readonly leader: Endpoint }
  | { readonly kind: 'not_ready' };

export const admitWrite = (node: NodeRole, metadata: Metadata): WriteAdmission => {
  const leader = node.leader();
  if (leader === 'self') return { kind: 'commit' };
  if (leader === 'none') return { kind: 'not_ready' };
  return requiresLeader(metadata) ? { kind: 'not_leader', leader } : { kind: 'forward' };
};

/** Counts a write that was let through, once the log has decided it. */
export const countWrite = (node: NodeRole, admission: WriteAdmission, outcome: AppendOutcome): void => {
  if (admission.kind === 'commit') node.stats.writesAsLeader += 1;
  else if (admission.kind === 'forward') node.stats.writesForwarded += 1;
  if (outcome.kind === 'idempotent') node.stats.retriesRecognised += 1;
  if (outcome.kind === 'wrong_expected_version') node.stats.expectedRevisionRefusals += 1;
};
