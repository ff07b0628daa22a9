/**
 * A cluster of protocol fakes on loopback (127.0.0.1, one port per node) for the EventStoreDB
 * adapter's failover tests: one leader, the others followers, every node answering gossip with the
 * same view, followers refusing or forwarding writes as EventStoreDB's followers do (node-role.ts).
 *
 * It is a fake, and a far simpler one than a cluster: the nodes share one in-memory transaction
 * log, so there is no replication, no quorum, no follower lag, no truncation of unreplicated
 * writes, and no election protocol — the test decides when a node stops and which node leads next.
 * What it does reproduce is what the client sees: gossip, NotLeader redirects, a leader whose
 * gRPC server goes away with calls in flight, a window with no leader, and writes that were
 * committed by a leader that died before it could answer.
 */
import { randomUUID } from 'node:crypto';
import type { ClusterMember, NodeState } from './cluster-services.js';
import { type EsdbProtocolFake, startEsdbProtocolFake } from './index.js';
import { type LeaderView, type NodeRole, newNodeStats } from './node-role.js';
import { TransactionLog } from './transaction-log.js';

const HOST = '127.0.0.1';

export interface EsdbProtocolFakeClusterOptions {
  /** Number of nodes (default 3); node 0 leads first. */
  readonly nodes?: number;
  /** Advertise Streams.BatchAppend, as real servers do (default true). */
  readonly batchAppend?: boolean;
}

export interface StopNodeOptions {
  /** How long the cluster has no leader after the leader stops (default 0: the successor leads at once). */
  readonly electionMs?: number;
  /** The node that leads after the election (default: the next node still running); `none`: no election ends. */
  readonly successor?: number | 'none';
}

export interface EsdbProtocolFakeCluster {
  readonly nodes: readonly EsdbProtocolFake[];
  /** The one log every node serves. */
  readonly log: TransactionLog;
  /** `esdb://127.0.0.1:P1,127.0.0.1:P2,127.0.0.1:P3?tls=false`: gossip seeds, the client asks them for the leader. */
  readonly gossipSeedConnectionString: string;
  /** `esdb+discover://127.0.0.1:P?tls=false`: discovery through one node's gossip. */
  discoveryConnectionString(node: number): string;
  /** `esdb://127.0.0.1:P?tls=false`: that node alone, as a single-node connection string names it. */
  connectionString(node: number): string;
  /** The node that leads now, or undefined during an election. */
  leader(): number | undefined;
  /** From now on the node commits writes but holds their replies back; they are dropped when it stops. */
  holdReplies(node: number): void;
  /** Replies the node holds back now. */
  heldReplies(node: number): number;
  /**
   * Stops the node's gRPC server (open calls are cancelled, held replies never sent) and marks it
   * dead in gossip. A stopped leader is succeeded after `electionMs`. Resolves once it has stopped.
   */
  stopNode(node: number, options?: StopNodeOptions): Promise<void>;
  /** Resolves when some node leads (at once when one does). */
  whenLeaderElected(): Promise<number>;
  stop(): Promise<void>;
}

interface MemberState {
  readonly instanceId: string;
  state: NodeState;
  alive: boolean;
  port: number;
  holding: boolean;
  held: (() => void)[];
}

export const startEsdbProtocolFakeCluster = async (
  options: EsdbProtocolFakeClusterOptions = {},
): Promise<EsdbProtocolFakeCluster> => {
  const count = options.nodes ?? 3;
  const log = new TransactionLog();
  const states: MemberState[] = Array.from({ length: count }, (_, index) => ({
    instanceId: randomUUID(),
    state: index === 0 ? 'leader' : 'follower',
    alive: true,
    port: 0,
    holding: false,
    held: [],
  }));
  const electionWaiters: ((leader: number) => void)[] = [];
  const timers = new Set<NodeJS.Timeout>();

  const leaderIndex = (): number | undefined => {
    const index = states.findIndex((node) => node.alive && node.state === 'leader');
    return index < 0 ? undefined : index;
  };
  const view = (): readonly ClusterMember[] =>
    states.map((node) => ({
      instanceId: node.instanceId,
      state: node.state,
      alive: node.alive,
      address: HOST,
      port: node.port,
    }));
  const roleOf = (index: number): NodeRole => ({
    leader: (): LeaderView => {
      const leader = leaderIndex();
      if (leader === undefined) return 'none';
      return leader === index ? 'self' : { address: HOST, port: states[leader]!.port };
    },
    deliver: (reply) => {
      const node = states[index]!;
      if (node.holding) node.held.push(reply);
      else reply();
    },
    stats: newNodeStats(),
  });

  // The first node seeds the shared log as a fresh server does; the others serve it as it is.
  const nodes: EsdbProtocolFake[] = [];
  for (let index = 0; index < count; index += 1) {
    const fake = await startEsdbProtocolFake({
      log,
      seedSystemEvents: index === 0,
      node: roleOf(index),
      clusterView: view,
      ...(options.batchAppend === undefined ? {} : { batchAppend: options.batchAppend }),
    });
    states[index]!.port = fake.port;
    nodes.push(fake);
  }

  const elect = (successor: number): void => {
    if (!states[successor]?.alive) throw new Error(`node ${successor} is not running and cannot lead`);
    for (const node of states) if (node.alive) node.state = 'follower';
    states[successor]!.state = 'leader';
    for (const waiter of electionWaiters.splice(0)) waiter(successor);
  };
  const nodeAt = (index: number): MemberState => {
    const node = states[index];
    if (node === undefined) throw new Error(`the cluster has no node ${index}`);
    return node;
  };

  return {
    nodes,
    log,
    gossipSeedConnectionString: `esdb://${states.map((node) => `${HOST}:${node.port}`).join(',')}?tls=false`,
    discoveryConnectionString: (index) => `esdb+discover://${HOST}:${nodeAt(index).port}?tls=false`,
    connectionString: (index) => `esdb://${HOST}:${nodeAt(index).port}?tls=false`,
    leader: leaderIndex,
    holdReplies: (index) => {
      nodeAt(index).holding = true;
    },
    heldReplies: (index) => nodeAt(index).held.length,
    stopNode: async (index, stopOptions = {}) => {
      const node = nodeAt(index);
      const wasLeader = leaderIndex() === index;
      node.alive = false;
      nodes[index]!.stats.repliesDropped += node.held.length;
      node.held = [];
      await nodes[index]!.stop();
      if (!wasLeader) return;
      const successor =
        stopOptions.successor ??
        [...states.keys()].map((offset) => (index + 1 + offset) % count).find((candidate) => states[candidate]!.alive);
      if (successor === undefined || successor === 'none') return;
      const electionMs = stopOptions.electionMs ?? 0;
      if (electionMs <= 0) {
        elect(successor);
        return;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        elect(successor);
      }, electionMs);
      timers.add(timer);
    },
    whenLeaderElected: () => {
      const leader = leaderIndex();
      return leader === undefined
        ? new Promise<number>((resolve) => electionWaiters.push(resolve))
        : Promise.resolve(leader);
    },
    stop: async () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
      for (const [index, node] of states.entries()) {
        if (node.alive) {
          node.alive = false;
          await nodes[index]!.stop();
        }
      }
    },
  };
};
