/**
 * Closed-loop load over Streamable HTTP: each virtual client (its own session and connection)
 * keeps one `tools/call echo` outstanding and sends the next as soon as its answer has arrived,
 * so K clients keep K requests in flight. Warm-up, measured window, then each client finishes
 * the request it has outstanding, so the server ends idle. Same result shape as the stdio loop.
 */
import { cpuSeconds } from './child-server.js';
import { type LoadResult, textOf } from './load.js';
import { type McpHttpClient, messageOf } from './mcp-http-client.js';
import { summarizeLatencies } from './percentiles.js';

export interface HttpLoadOptions {
  readonly warmupMs: number;
  readonly measureMs: number;
  /** The echo message; the result's text must equal it. */
  readonly message: string;
  /** Fail when one request goes unanswered for this long. */
  readonly stallMs: number;
  /** The server process, for its CPU time in the window. */
  readonly serverPid: number;
}

/** JSON-RPC id of a session's first tools/call (1 was its initialize). */
const FIRST_ID = 2;

export const runHttpLoad = async (clients: readonly McpHttpClient[], options: HttpLoadOptions): Promise<LoadResult> => {
  const prefix = '{"jsonrpc":"2.0","id":';
  const suffix = `,"method":"tools/call","params":{"name":"echo","arguments":{"message":${JSON.stringify(options.message)}}}}`;
  const latenciesNs: number[] = [];
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

  const callUntilDrained = async (client: McpHttpClient): Promise<void> => {
    for (let id = FIRST_ID; phase !== 'drain'; id++) {
      const sentNs = process.hrtime.bigint();
      const answer = await client.post(prefix + id + suffix, options.stallMs);
      answered++;
      const message = answer.status === 200 ? messageOf(answer, id) : undefined;
      if (message === undefined || message.error !== undefined || textOf(message.result) !== options.message) {
        errors++;
        firstError ??= `HTTP ${answer.status}: ${answer.body.slice(0, 300)}`;
      }
      if (phase === 'measure') {
        completed++;
        latenciesNs.push(Number(answer.arrivedNs - sentNs));
      }
    }
  };

  const timers: NodeJS.Timeout[] = [];
  timers.push(
    setTimeout(() => {
      phase = 'measure';
      windowStartNs = process.hrtime.bigint();
      serverCpuStart = cpuSeconds(options.serverPid);
      clientCpuStart = process.cpuUsage();
      timers.push(
        setTimeout(() => {
          windowEndNs = process.hrtime.bigint();
          serverCpuEnd = cpuSeconds(options.serverPid);
          clientCpu = process.cpuUsage(clientCpuStart);
          phase = 'drain';
        }, options.measureMs),
      );
    }, options.warmupMs),
  );
  try {
    await Promise.all(clients.map(callUntilDrained));
  } finally {
    // On a failure the other clients stop after their current request (each bounded by stallMs).
    phase = 'drain';
    for (const timer of timers) clearTimeout(timer);
  }

  const windowSeconds = Number(windowEndNs - windowStartNs) / 1e9;
  return {
    inflight: clients.length,
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
  };
};
