/**
 * A protocol fake of EventStoreDB's gRPC client API, for tests only: a gRPC server on 127.0.0.1
 * that answers the calls @eventstore/db-client makes, with the message definitions shipped
 * inside the client, backed by an in-memory transaction log. It lets the EventStoreDB adapter
 * run through the real client where no server can run. It is not EventStoreDB: no durability,
 * no authentication, no projections, no filters, no persistent subscriptions.
 */
import { randomUUID } from 'node:crypto';
import { Server, ServerCredentials } from '@grpc/grpc-js';
import {
  advertisedMethods,
  type ClusterMember,
  gossipReadHandler,
  supportedMethodsHandler,
} from './cluster-services.js';
import { GossipService, ServerFeaturesService, StreamsService } from './generated-protocol.js';
import { type NodeRole, type NodeStats, standaloneNode } from './node-role.js';
import { appendHandler, batchAppendHandler } from './streams-append.js';
import { readHandler } from './streams-read.js';
import { TransactionLog } from './transaction-log.js';

export type { ClusterMember, NodeState } from './cluster-services.js';
export type { Endpoint, LeaderView, NodeRole, NodeStats } from './node-role.js';
export { TransactionLog } from './transaction-log.js';

const HOST = '127.0.0.1';

export interface EsdbProtocolFakeOptions {
  /** Advertise Streams.BatchAppend, as real servers do (default); false makes the client use Streams.Append. */
  readonly batchAppend?: boolean;
  /**
   * Write a `$settings` event first, as a fresh server does, so that $all starts with a system
   * event (default: true for a log of its own, false for a log given in `log`).
   */
  readonly seedSystemEvents?: boolean;
  /** Report positions on stream reads, as servers since 22.10 do (default true). */
  readonly positionsOnStreamReads?: boolean;
  /** What Gossip.Read answers; defaults to this node alone, leader and alive. */
  readonly clusterView?: (self: { readonly address: string; readonly port: number }) => readonly ClusterMember[];
  /** The transaction log to serve; several fakes given one log stand for the nodes of one cluster. */
  readonly log?: TransactionLog;
  /** Whether this node leads, where the leader is, how replies go out; defaults to a node on its own. */
  readonly node?: NodeRole;
}

export interface EsdbProtocolFake {
  readonly port: number;
  /** `esdb://127.0.0.1:PORT?tls=false`: a single-node connection, as APEX uses it. */
  readonly connectionString: string;
  /** `esdb+discover://127.0.0.1:PORT?tls=false`: the client first asks Gossip.Read for the leader. */
  readonly discoveryConnectionString: string;
  readonly log: TransactionLog;
  /** What this node served: writes committed or forwarded, refusals, replies dropped. */
  readonly stats: NodeStats;
  /** Writes an event to a `$`-stream, as the server itself does (stats, settings, links). */
  appendSystemEvent(stream: string, type: string): void;
  /** Stops serving; open calls are cancelled. */
  stop(): Promise<void>;
}

const appendSystemEvent = (log: TransactionLog, stream: string, type: string): void => {
  if (!stream.startsWith('$')) throw new Error(`not a system stream: ${stream}`);
  log.append(stream, { kind: 'any' }, [
    {
      id: randomUUID(),
      type,
      contentType: 'application/json',
      data: Buffer.from('{}'),
      customMetadata: new Uint8Array(),
    },
  ]);
};

const bind = (server: Server): Promise<number> =>
  new Promise((resolve, reject) =>
    server.bindAsync(`${HOST}:0`, ServerCredentials.createInsecure(), (error, port) =>
      error ? reject(error) : resolve(port),
    ),
  );

export const startEsdbProtocolFake = async (options: EsdbProtocolFakeOptions = {}): Promise<EsdbProtocolFake> => {
  const log = options.log ?? new TransactionLog();
  if (options.seedSystemEvents ?? options.log === undefined) appendSystemEvent(log, '$settings', '$settings');
  const node = options.node ?? standaloneNode();

  const instanceId = randomUUID();
  let self = { address: HOST, port: 0 };
  const clusterView =
    options.clusterView ??
    ((node: typeof self): readonly ClusterMember[] => [{ instanceId, state: 'leader', alive: true, ...node }]);

  const server = new Server();
  server.addService(StreamsService, {
    read: readHandler(log, { positionsOnStreamReads: options.positionsOnStreamReads ?? true }, node),
    append: appendHandler(log, node),
    ...(options.batchAppend === false ? {} : { batchAppend: batchAppendHandler(log, node) }),
  });
  server.addService(GossipService, { read: gossipReadHandler(() => clusterView(self)) });
  server.addService(ServerFeaturesService, {
    getSupportedMethods: supportedMethodsHandler(advertisedMethods({ batchAppend: options.batchAppend !== false })),
  });

  const port = await bind(server);
  self = { address: HOST, port };
  return {
    port,
    connectionString: `esdb://${HOST}:${port}?tls=false`,
    discoveryConnectionString: `esdb+discover://${HOST}:${port}?tls=false`,
    log,
    stats: node.stats,
    appendSystemEvent: (stream, type) => appendSystemEvent(log, stream, type),
    stop: async () => {
      server.forceShutdown();
    },
  };
};
