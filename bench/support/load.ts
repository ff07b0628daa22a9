/**
 * Closed-loop load over one ChildServer: keeps exactly `inflight` `tools/call echo` requests
 * outstanding (a new one is sent for every response), warm-up first, then a measured window,
 * then the requests still outstanding are drained so the server ends idle. With `meta`, every
 * request carries it as `params._meta` (the 2026-07-28 era's per-request envelope).
 */
import { type ChildServer, cpuSeconds, type JsonRpcMessage } from './child-server.js';
import { summarizeLatencies } from './percentiles.js';

export interface LoadOptions {
  readonly inflight: number;
  readonly warmupMs: number;
  readonly measureMs: number;
  /** The echo message; the response's text must equal it. */
  readonly message: string;
  /** Fail when no response arrives for this long while requests are outstanding. */
  readonly stallMs: number;
  /** First JSON-RPC id used (ids below it are left for the handshake). */
  readonly firstId: number;
  /** Sent as every request's `params._meta` (the 2026-07-28 envelope); none when absent. */
  readonly meta?: Readonly<Record<string, unknown>>;
  /** A further check of every result (beyond its text); a result it refuses counts as an error. */
  readonly acceptResult?: (result: unknown) => boolean;
}

export interface LoadResult {
  readonly inflight: number;
  /** Length of the measured window, in seconds (taken from process.hrtime, not from the timer's target). */
  readonly windowSeconds: number;
  /** Responses received inside the measured window. */
  readonly completed: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
  /** Error responses, or results whose text is not the message sent (whole run). */
  readonly errors: number;
  readonly firstError: string | undefined;
  /** tools/call responses over the whole run: warm-up, window and drain. */
  readonly answered: number;
  /** CPU used by the server process (all its threads) in the window, in cores (1 = one core busy). */
  readonly serverCores: number | undefined;
  /** CPU used by this client process in the window, in cores. */
  readonly clientCores: number;
}

/** The text of a tools/call result's first content item (what echo sends back). */
export const textOf = (result: unknown): unknown => {
  const content = (result as { content?: ReadonlyArray<{ text?: unknown }> } | undefined)?.content;
  return Array.isArray(content) ? content[0]?.text : undefined;
};

export const runLoad = (server: ChildServer, options: LoadOptions): Promise<LoadResult> =>
  new Promise<LoadResult>((resolve, reject) => {
    const sentAt = new Map<number, bigint>();
    const toStamp: number[] = [];
    const latenciesNs: number[] = [];
    const prefix = '{"jsonrpc":"2.0","id":';
    const meta = options.meta === undefined ? '' : `,"_meta":${JSON.stringify(options.meta)}`;
    const suffix = `,"method":"tools/call","params":{"name":"echo","arguments":{"message":${JSON.stringify(options.message)}}${meta}}}\n`;
    const acceptResult = options.acceptResult ?? (() => true);
    let outgoing = '';
    let nextId = options.firstId;
    let phase: 'warmup' | 'measure' | 'drain' = 'warmup';
    let completed = 0;
    let answered = 0;
    let errors = 0;
    let firstError: string | undefined;
    let windowStartNs = 0n;
    let windowEndNs = 0n;
    let serverCpuStart: number | undefined;
    let serverCpuEnd: number | undefined;
    let clientCpuStart = process.cpuUsage();
    let clientCpu = { user: 0, system: 0 };
    let lastProgressNs = process.hrtime.bigint();
    let settled = false;
    const timers: NodeJS.Timeout[] = [];

    const queue = (): void => {
      const id = nextId++;
      toStamp.push(id);
      outgoing += prefix + id + suffix;
    };
    const flush = (): void => {
      if (outgoing === '') return;
      const now = process.hrtime.bigint();
      for (const id of toStamp) sentAt.set(id, now);
      toStamp.length = 0;
      server.write(outgoing);
      outgoing = '';
    };

    const cleanUp = (): void => {
      settled = true;
      for (const timer of timers) clearTimeout(timer);
      server.onMessage = () => {};
      server.onChunkEnd = () => {};
      server.child.off('exit', onExit);
    };
    const fail = (error: Error): void => {
      if (settled) return;
      cleanUp();
      reject(error);
    };
    const finish = (): void => {
      if (settled) return;
      cleanUp();
      const windowSeconds = Number(windowEndNs - windowStartNs) / 1e9;
      resolve({
        inflight: options.inflight,
        windowSeconds,
        completed,
        requestsPerSecond: completed / windowSeconds,
        ...summarizeLatencies(latenciesNs),
        errors,
        firstError,
        answered,
        serverCores:
          serverCpuStart === undefined || serverCpuEnd === undefined
            ? undefined
            : (serverCpuEnd - serverCpuStart) / windowSeconds,
        clientCores: (clientCpu.user + clientCpu.system) / 1e6 / windowSeconds,
      });
    };
    const onExit = (): void => fail(server.failure('exited during the load'));

    server.onMessage = (message: JsonRpcMessage, arrivedNs: bigint): void => {
      if (typeof message.id !== 'number') return; // notifications from the server, if any
      const sent = sentAt.get(message.id);
      if (sent === undefined) return;
      sentAt.delete(message.id);
      answered++;
      lastProgressNs = arrivedNs;
      if (message.error !== undefined || textOf(message.result) !== options.message || !acceptResult(message.result)) {
        errors++;
        firstError ??= JSON.stringify(message.error ?? message.result).slice(0, 300);
      }
      if (phase === 'measure') {
        completed++;
        latenciesNs.push(Number(arrivedNs - sent));
      }
      if (phase !== 'drain') queue();
    };
    server.onChunkEnd = (): void => {
      flush();
      if (phase === 'drain' && sentAt.size === 0) finish();
    };
    server.onProtocolError = fail;
    server.child.once('exit', onExit);

    timers.push(
      setTimeout(() => {
        phase = 'measure';
        windowStartNs = process.hrtime.bigint();
        serverCpuStart = cpuSeconds(server.pid);
        clientCpuStart = process.cpuUsage();
        timers.push(
          setTimeout(() => {
            windowEndNs = process.hrtime.bigint();
            serverCpuEnd = cpuSeconds(server.pid);
            clientCpu = process.cpuUsage(clientCpuStart);
            phase = 'drain';
            if (sentAt.size === 0) finish();
          }, options.measureMs),
        );
      }, options.warmupMs),
    );
    const watchdog = setInterval(() => {
      if (sentAt.size > 0 && process.hrtime.bigint() - lastProgressNs > BigInt(options.stallMs) * 1_000_000n) {
        clearInterval(watchdog);
        fail(server.failure(`no response for ${options.stallMs} ms with ${sentAt.size} requests outstanding`));
      }
    }, 250);
    timers.push(watchdog);

    for (let i = 0; i < options.inflight; i++) queue();
    flush();
  });
