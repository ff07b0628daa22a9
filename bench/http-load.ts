/**
 * Streamable HTTP load benchmark: APEX (`apex serve --http`, every request durably recorded)
 * versus an echo server built on the official MCP SDK 1.x (StreamableHTTPServerTransport,
 * recording nothing), in the same run, on the same machine; the HTTP twin of stdio-load.ts.
 *
 * Each server runs as a child process on 127.0.0.1, both as `node --import tsx <entry>`. K
 * virtual clients, each with its own keep-alive connection and its own initialized session,
 * keep one `tools/call echo` outstanding each (K in flight): a warm-up, then a measured window.
 * Every measurement uses a fresh child and, for APEX, a fresh temporary SQLite file.
 *
 *   npx tsx bench/http-load.ts [--seconds 5] [--warmup 1] [--inflight 1,64] [--servers sdk,apex]
 *                              [--answers sse|json] [--durability durable|normal] [--apex-dir DIR]
 *                              [--cpu-prof DIR] [--keep]
 *
 * Figures are printed only; nothing here asserts on time.
 */
import { mkdirSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BENCH_AGENT, countEvents, writeApexConfig } from './support/apex-setup.js';
import { ChildServer, describeExit, killAllChildren, peakRssKiB, releaseRow } from './support/child-server.js';
import { parseList, parsePositive } from './support/cli-options.js';
import { type DiskProbe, probeDurableCommits } from './support/disk-probe.js';
import { runHttpLoad } from './support/http-closed-loop.js';
import { freeLoopbackPort, stopBySignal } from './support/http-server-child.js';
import {
  comparisonTable,
  cpuPressure,
  describeDisk,
  eventSummaries,
  failureWarnings,
  loadAverage,
  type Measurement,
  measurementsTable,
  SERVER_NAMES,
  type ServerKind,
  sdkVersion,
  sourceRevision,
} from './support/load-report.js';
import { ConnectionRefused, McpHttpClient } from './support/mcp-http-client.js';
import { makeTempDir } from './support/temp-dirs.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MESSAGE = 'hello from the http load benchmark';
const PROTOCOL_VERSION = '2025-11-25';
const HANDSHAKE_TIMEOUT_MS = 60_000;
const CONNECT_RETRY_MS = 50;
const STALL_MS = 30_000;
const EXIT_TIMEOUT_MS = 30_000;
/** APEX's per-agent HTTP limits (default 50 requests/s, 16 calls, 32 sessions), raised so they are not what is measured. */
const UNLIMITED = { requestsPerSecond: 1e9, burst: 1e9, maxConcurrentCalls: 100_000, maxSessions: 100_000 };

const usage = `usage: npx tsx bench/http-load.ts [--seconds N] [--warmup N] [--inflight 1,64] [--servers sdk,apex] [--answers sse|json] [--durability D] [--apex-dir DIR] [--cpu-prof DIR] [--keep]
  --seconds N      measured window per measurement, seconds (default 5)
  --warmup N       warm-up before each window, seconds (default 1)
  --inflight LIST  requests kept in flight = sessions, one connection each, comma-separated (default 1,64)
  --servers LIST   which servers, in order (default sdk,apex)
  --answers A      sse (default): clients accept both media types, as MCP clients do, and both servers
                   answer tools/call with an SSE stream; json: one JSON body per answer (APEX: the client
                   accepts only JSON; the SDK: enableJsonResponse)
  --durability D   APEX's SQLite durability: durable (default, fsync before every acknowledgement) or normal
  --apex-dir DIR   run APEX from another copy of the repository (default: this one), e.g. a committed revision
                   while src/ has uncommitted work: git archive HEAD | tar -x -C DIR; ln -s $PWD/node_modules DIR/
  --cpu-prof DIR   run the APEX child with node --cpu-prof, profiles written to DIR
                   (summarise with: npx tsx bench/support/cpuprofile-summary.ts DIR/<file>.cpuprofile)
  --keep           keep the temporary directories (APEX config and SQLite file) and print where they are`;

const parseOptions = () => {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      inflight: { type: 'string', default: '1,64' },
      servers: { type: 'string', default: 'sdk,apex' },
      answers: { type: 'string', default: 'sse' },
      durability: { type: 'string', default: 'durable' },
      'apex-dir': { type: 'string' },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(usage + '\n');
    process.exit(0);
  }
  const servers = values.servers.split(',').map((name) => name.trim());
  for (const name of servers) {
    if (name !== 'sdk' && name !== 'apex')
      throw new Error(`--servers: unknown server ${JSON.stringify(name)} (sdk, apex)`);
  }
  if (values.answers !== 'sse' && values.answers !== 'json') {
    throw new Error(`--answers: ${JSON.stringify(values.answers)} is neither sse nor json`);
  }
  return {
    measureMs: Math.round(parsePositive(values.seconds, 'seconds') * 1000),
    warmupMs: Math.round(parsePositive(values.warmup, 'warmup') * 1000),
    inflight: parseList(values.inflight, 'inflight'),
    servers: servers as ServerKind[],
    answers: values.answers as 'sse' | 'json',
    durability: values.durability,
    apexRoot: values['apex-dir'] === undefined ? ROOT : resolve(values['apex-dir']),
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
    keep: values.keep,
  };
};

type Options = ReturnType<typeof parseOptions>;

const serverArgs = (kind: ServerKind, port: number, inflight: number, dir: string, options: Options): string[] => {
  const listen = `127.0.0.1:${port}`;
  if (kind === 'sdk') {
    return [
      '--import',
      'tsx',
      'bench/support/sdk-http-echo-server.ts',
      listen,
      ...(options.answers === 'json' ? ['--json'] : []),
    ];
  }
  const profile =
    options.cpuProfDir === undefined
      ? []
      : [
          '--cpu-prof',
          '--cpu-prof-dir',
          options.cpuProfDir,
          '--cpu-prof-name',
          `apex-http-inflight-${inflight}-${Date.now()}.cpuprofile`,
        ];
  return [
    ...profile,
    '--import',
    'tsx',
    'src/cli/main.ts',
    'serve',
    '--http',
    listen,
    '--config',
    writeApexConfig(options.apexRoot, dir, { rateLimit: UNLIMITED }),
    '--agent',
    BENCH_AGENT,
    '--store',
    `sqlite:${join(dir, 'events.db')}?durability=${options.durability}`,
  ];
};

/** Initializes the first session, retrying while the child is still starting; fails if it exits or never listens. */
const initializeWhenListening = async (server: ChildServer, client: McpHttpClient): Promise<void> => {
  const deadline = Date.now() + HANDSHAKE_TIMEOUT_MS;
  for (;;) {
    if (server.hasExited) throw server.failure('exited before listening');
    try {
      await client.initialize(PROTOCOL_VERSION, Math.max(1, deadline - Date.now()));
      return;
    } catch (error) {
      if (!(error instanceof ConnectionRefused)) throw server.failure(String(error));
      if (Date.now() > deadline) throw server.failure(`not listening after ${HANDSHAKE_TIMEOUT_MS} ms`);
      await new Promise((wake) => setTimeout(wake, CONNECT_RETRY_MS));
    }
  }
};

const measure = async (kind: ServerKind, inflight: number, options: Options): Promise<Measurement> => {
  const dir = makeTempDir(`apex-http-load-${kind}-`, options.keep);
  const port = await freeLoopbackPort();
  const url = new URL(`http://127.0.0.1:${port}/mcp`);
  // APEX answers JSON when the client accepts only JSON; the SDK refuses such a client (406), so it is told by flag.
  const accept =
    options.answers === 'json' && kind === 'apex' ? 'application/json' : 'application/json, text/event-stream';
  const clients = Array.from({ length: inflight }, () => new McpHttpClient({ url, accept }));
  const spawnedNs = process.hrtime.bigint();
  const server = ChildServer.spawn({
    label: kind === 'sdk' ? 'SDK HTTP echo server' : 'APEX (HTTP)',
    args: serverArgs(kind, port, inflight, dir, options),
    cwd: kind === 'apex' ? options.apexRoot : ROOT,
    env: { ...process.env, APEX_LOG_LEVEL: 'warn' },
  });
  try {
    const [first, ...others] = clients;
    await initializeWhenListening(server, first!);
    const startMs = Number(process.hrtime.bigint() - spawnedNs) / 1e6;
    await Promise.all(others.map((client) => client.initialize(PROTOCOL_VERSION, HANDSHAKE_TIMEOUT_MS)));

    const load = await runHttpLoad(clients, {
      warmupMs: options.warmupMs,
      measureMs: options.measureMs,
      message: MESSAGE,
      stallMs: STALL_MS,
      serverPid: server.pid,
    }).catch((error: unknown) => {
      throw server.failure(`the load failed: ${error instanceof Error ? error.message : String(error)}`);
    });
    const ended = await Promise.all(clients.map((client) => client.end(STALL_MS)));
    const notEnded = ended.filter((status) => status !== 200).length;
    if (notEnded > 0) process.stderr.write(`${SERVER_NAMES[kind]}: ${notEnded} DELETEs not answered 200\n`);
    const rss = peakRssKiB(server.pid); // before exit: /proc/<pid> goes with the process
    const exit = await stopBySignal(server, EXIT_TIMEOUT_MS);
    const exitText = describeExit(server, exit);
    const events = kind === 'apex' ? countEvents(join(dir, 'events.db')) : undefined;
    return { kind, load, startMs, peakRssKiB: rss, exit: exitText, events };
  } finally {
    releaseRow(server, dir, options.keep);
  }
};

// ---------------------------------------------------------------------------------------------
// Report

interface Context {
  readonly loadBefore: string;
  readonly diskBefore: DiskProbe;
  readonly diskAfter: DiskProbe;
}

const report = (results: readonly Measurement[], options: Options, context: Context): string => {
  const cpu = cpus();
  const answers =
    options.answers === 'sse'
      ? 'tools/call answered as an SSE stream by both (clients accept JSON and SSE)'
      : 'every answer one JSON body';
  const out: string[] = [
    `HTTP load: tools/call echo over Streamable HTTP, ${options.warmupMs / 1000} s warm-up + ${options.measureMs / 1000} s measured per row, fresh child per row`,
    `${new Date().toISOString()}  Node ${process.version}  ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'})`,
    `both servers run as \`node --import tsx <entry>\` on 127.0.0.1; one session and keep-alive connection per request in flight; ${answers}`,
    `APEX on a fresh temporary SQLite file (durability=${options.durability}), rate limits raised out of the way`,
    `APEX source: ${options.apexRoot === ROOT ? '' : `${options.apexRoot}: `}${sourceRevision(options.apexRoot)}; SDK: @modelcontextprotocol/sdk ${sdkVersion(ROOT)}`,
    `load average (1/5/15 min) before: ${context.loadBefore}, after: ${loadAverage()}; CPU pressure after: ${cpuPressure()}`,
    `disk (${tmpdir()}): one durable 1-row SQLite commit (WAL, synchronous=FULL) before: ${describeDisk(context.diskBefore)}; after: ${describeDisk(context.diskAfter)}`,
    '(other work on the machine skews the figures: compare rows of one run, not runs of different moments)',
    '',
    measurementsTable(results),
  ];
  const comparison = comparisonTable(results, options.inflight);
  if (comparison !== undefined) out.push('', comparison);
  out.push(
    ...eventSummaries(results),
    ...failureWarnings(results),
    '',
    'server CPU: the child (all threads) during the window, 100% = one core busy; client CPU: this process.',
    'latency: from sending the POST to the end of its answer (JSON body or SSE stream), process.hrtime.bigint, over the window.',
    'start ms: spawn to the first initialize answer (includes tsx compiling the sources on a cold cache).',
  );
  return out.join('\n');
};

const main = async (): Promise<void> => {
  const options = parseOptions();
  if (options.cpuProfDir !== undefined) mkdirSync(options.cpuProfDir, { recursive: true });
  const loadBefore = loadAverage();
  const diskBefore = probeDurableCommits(tmpdir());
  const results: Measurement[] = [];
  for (const inflight of options.inflight) {
    for (const kind of options.servers) {
      process.stderr.write(`measuring ${SERVER_NAMES[kind]} at ${inflight} in flight…\n`);
      results.push(await measure(kind, inflight, options));
    }
  }
  const diskAfter = probeDurableCommits(tmpdir());
  process.stdout.write(report(results, options, { loadBefore, diskBefore, diskAfter }) + '\n');
  if (options.cpuProfDir !== undefined) process.stdout.write(`\nAPEX CPU profiles written to ${options.cpuProfDir}\n`);
};

main().catch((error: unknown) => {
  process.stderr.write(`http-load: ${error instanceof Error ? error.message : String(error)}\n`);
  // Keep-alive sockets and outstanding requests would keep the process alive: exit now; the exit
  // hooks kill the children and remove the temporary directories.
  killAllChildren();
  process.exit(1);
});
