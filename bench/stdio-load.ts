/**
 * stdio load benchmark: APEX (every request durably recorded) versus an echo server built on the
 * official MCP SDK 1.x (recording nothing), in the same run, on the same machine.
 *
 * Each server runs as a child process over real stdio pipes, both as `node --import tsx <entry>`
 * (TypeScript compiled on load by tsx, so both pay the same start-up and run the same way).
 * A raw NDJSON client does the initialize handshake, then keeps exactly K `tools/call echo`
 * requests in flight (a new one for every response): a warm-up, then a measured window.
 * Every measurement uses a fresh child and, for APEX, a fresh temporary SQLite file.
 *
 * APEX runs in each era asked for (`--era`, default both): legacy (2025-11-25, as above) and modern
 * (2026-07-28: no initialize, `server/discover` as the start probe, and the envelope in every
 * request's `params._meta`), so the modern era's added cost per request is printed beside the
 * legacy era's, from the same run. The SDK 1.x baseline speaks only the legacy era.
 *
 *   npx tsx bench/stdio-load.ts [--seconds 5] [--warmup 1] [--inflight 1,64] [--servers sdk,apex]
 *                               [--era legacy|modern|both] [--rounds N] [--durability durable|normal]
 *                               [--apex-dir DIR] [--cpu-prof DIR] [--keep]
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
import { BENCH_CLIENT_INFO, ERA_VERSIONS, type Era, hasEraShape, modernMeta, parseEras } from './support/eras.js';
import { runLoad } from './support/load.js';
import {
  comparisonTable,
  cpuPressure,
  describeDisk,
  eraComparisonNote,
  eraComparisonTable,
  eventSummaries,
  failureWarnings,
  loadAverage,
  type Measurement,
  measurementsTable,
  type ServerKind,
  sdkVersion,
  serverLabel,
  sourceRevision,
} from './support/load-report.js';
import { makeTempDir } from './support/temp-dirs.js';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const MESSAGE = 'hello from the stdio load benchmark';
const HANDSHAKE_TIMEOUT_MS = 60_000;
const STALL_MS = 30_000;
const EXIT_TIMEOUT_MS = 30_000;

const usage = `usage: npx tsx bench/stdio-load.ts [--seconds N] [--warmup N] [--inflight 1,64] [--servers sdk,apex] [--era E] [--rounds N] [--durability D] [--writer W] [--apex-dir DIR] [--cpu-prof DIR] [--keep]
  --seconds N      measured window per measurement, seconds (default 5)
  --warmup N       warm-up before each window, seconds (default 1)
  --inflight LIST  requests kept in flight, comma-separated (default 1,64)
  --servers LIST   which servers, in order (default sdk,apex)
  --era E          APEX's MCP era: legacy (${ERA_VERSIONS.legacy}: initialize, then plain requests),
                   modern (${ERA_VERSIONS.modern}: no initialize, the envelope in every request's _meta),
                   or both (default: one APEX row per era, legacy first, and the modern era's added cost).
                   The SDK row is always legacy, the only era SDK 1.x speaks
  --rounds N       measure each in-flight count's rows N times (default 1), the APEX eras in reverse order
                   in even rounds (modern first); the comparisons then use each figure's median
  --cpu-prof DIR   run the APEX child with node --cpu-prof, profiles written to DIR
                   (summarise with: npx tsx bench/support/cpuprofile-summary.ts DIR/<file>.cpuprofile)
  --durability D   APEX's SQLite durability: durable (default, fsync before every acknowledgement) or normal
  --writer W       APEX's SQLite writer: thread (APEX's default: commits on a writer thread) or inline (on the main thread)
  --apex-dir DIR   run APEX from another copy of the repository (default: this one), e.g. a committed revision
  --keep           keep the temporary directories (APEX config and SQLite file) and print where they are`;

const parseRounds = (value: string): number => {
  const [rounds, ...rest] = parseList(value, 'rounds');
  if (rounds === undefined || rest.length > 0) throw new Error(`--rounds: ${JSON.stringify(value)} is not one count`);
  return rounds;
};

const parseOptions = () => {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      inflight: { type: 'string', default: '1,64' },
      servers: { type: 'string', default: 'sdk,apex' },
      era: { type: 'string', default: 'both' },
      rounds: { type: 'string', default: '1' },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      durability: { type: 'string', default: 'durable' },
      writer: { type: 'string' },
      'apex-dir': { type: 'string' },
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
  return {
    measureMs: Math.round(parsePositive(values.seconds, 'seconds') * 1000),
    warmupMs: Math.round(parsePositive(values.warmup, 'warmup') * 1000),
    inflight: parseList(values.inflight, 'inflight'),
    servers: servers as ServerKind[],
    eras: parseEras(values.era),
    rounds: parseRounds(values.rounds),
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
    keep: values.keep,
    durability: values.durability,
    writer: values.writer,
    apexRoot: values['apex-dir'] === undefined ? ROOT : resolve(values['apex-dir']),
  };
};

type Options = ReturnType<typeof parseOptions>;

/**
 * The handshake of an era, which is also the start probe ("start ms" is spawn to its answer):
 * legacy `initialize` + `notifications/initialized`; modern `server/discover` with the envelope
 * (a modern client needs no handshake; discover is the cheapest request that proves the server is up).
 * Uses id 1; the load starts at id 2.
 */
const handshake = async (server: ChildServer, era: Era): Promise<void> => {
  if (era === 'legacy') {
    await server.request(
      1,
      'initialize',
      { protocolVersion: ERA_VERSIONS.legacy, capabilities: {}, clientInfo: BENCH_CLIENT_INFO },
      HANDSHAKE_TIMEOUT_MS,
    );
    server.notify('notifications/initialized');
    return;
  }
  const answer = await server.request(1, 'server/discover', { _meta: modernMeta() }, HANDSHAKE_TIMEOUT_MS);
  const versions = (answer.result as { supportedVersions?: unknown } | undefined)?.supportedVersions;
  if (!Array.isArray(versions) || !versions.includes(ERA_VERSIONS.modern))
    throw server.failure(`server/discover does not list ${ERA_VERSIONS.modern}: ${JSON.stringify(answer.result)}`);
};

/** One row: a fresh child, its handshake, the closed-loop load, its exit, and APEX's events. The SDK is always legacy. */
const measure = async (kind: ServerKind, era: Era, inflight: number, options: Options): Promise<Measurement> => {
  const dir = makeTempDir(`apex-stdio-load-${kind}-${era}-`, options.keep);
  const dbPath = join(dir, 'events.db');
  const nodeFlags = ['--import', 'tsx'];
  let args: string[];
  if (kind === 'sdk') {
    args = [...nodeFlags, 'bench/sdk-echo-server.ts'];
  } else {
    const profile =
      options.cpuProfDir === undefined
        ? []
        : [
            '--cpu-prof',
            '--cpu-prof-dir',
            options.cpuProfDir,
            '--cpu-prof-name',
            `apex-${era}-inflight-${inflight}-${Date.now()}.cpuprofile`,
          ];
    const configPath = writeApexConfig(options.apexRoot, dir);
    args = [
      ...profile,
      ...nodeFlags,
      'src/cli/main.ts',
      'serve',
      '--config',
      configPath,
      '--agent',
      BENCH_AGENT,
      '--store',
      `sqlite:${dbPath}?durability=${options.durability}${options.writer === undefined ? '' : `&writer=${options.writer}`}`,
    ];
  }
  const spawnedNs = process.hrtime.bigint();
  const server = ChildServer.spawn({
    label: kind === 'sdk' ? 'SDK echo server' : `APEX (${era} era)`,
    args,
    cwd: kind === 'apex' ? options.apexRoot : ROOT,
    env: { ...process.env, APEX_LOG_LEVEL: 'warn' },
  });
  try {
    await handshake(server, era);
    const startMs = Number(process.hrtime.bigint() - spawnedNs) / 1e6;

    const load = await runLoad(server, {
      inflight,
      warmupMs: options.warmupMs,
      measureMs: options.measureMs,
      message: MESSAGE,
      stallMs: STALL_MS,
      firstId: 2,
      // The SDK baseline stays as it was: the echo text is its only check.
      ...(kind === 'apex'
        ? {
            acceptResult: (result: unknown) => hasEraShape(era, result),
            ...(era === 'modern' ? { meta: modernMeta() } : {}),
          }
        : {}),
    });
    const rss = peakRssKiB(server.pid); // before exit: /proc/<pid> goes with the process
    const exit = await server.close(EXIT_TIMEOUT_MS);
    const exitText = describeExit(server, exit);
    const events = kind === 'apex' ? countEvents(dbPath) : undefined;
    return { kind, ...(kind === 'apex' ? { era } : {}), load, startMs, peakRssKiB: rss, exit: exitText, events };
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
  const out: string[] = [];
  out.push(
    `stdio load: tools/call echo, ${options.warmupMs / 1000} s warm-up + ${options.measureMs / 1000} s measured per row, fresh child per row${options.rounds > 1 ? `, ${options.rounds} rounds (APEX eras in reverse order in even rounds)` : ''}`,
    `${new Date().toISOString()}  Node ${process.version}  ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'})`,
    `both servers run as \`node --import tsx <entry>\`; APEX on a fresh temporary SQLite file (durability=${options.durability}); APEX era(s): ${options.eras.map((era) => `${era} ${ERA_VERSIONS[era]}`).join(', ')}; SDK: legacy`,
    `APEX source: ${options.apexRoot === ROOT ? '' : `${options.apexRoot}: `}${sourceRevision(options.apexRoot)}; SDK: @modelcontextprotocol/sdk ${sdkVersion(ROOT)}`,
    `load average (1/5/15 min) before: ${context.loadBefore}, after: ${loadAverage()}; CPU pressure after: ${cpuPressure()}`,
    `disk (${tmpdir()}): one durable 1-row SQLite commit (WAL, synchronous=FULL) before: ${describeDisk(context.diskBefore)}; after: ${describeDisk(context.diskAfter)}`,
    '(other work on the machine skews the figures: compare rows of one run, not runs of different moments)',
    '',
  );
  out.push(measurementsTable(results));
  const comparison = comparisonTable(results, options.inflight);
  if (comparison !== undefined) {
    out.push('', comparison, 'targets: throughput APEX/SDK >= 1.0× at 64 in flight; p99 added < 2 ms at 1 in flight');
  }
  const eras = eraComparisonTable(results, options.inflight);
  if (eras !== undefined) out.push('', eras, eraComparisonNote());
  out.push(...eventSummaries(results), ...failureWarnings(results));
  out.push(
    '',
    'server CPU: the child (all threads) during the window, 100% = one core busy; client CPU: this process.',
    'latency: from writing the request to reading its response line (process.hrtime.bigint), over the window.',
    'start ms: spawn to the answer of initialize (legacy) or server/discover (modern); includes tsx compiling on a cold cache.',
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
    for (let round = 1; round <= options.rounds; round++) {
      // Alternating which era goes first cancels a steady drift of the machine's load between the two.
      const eras = round % 2 === 1 ? options.eras : [...options.eras].reverse();
      const tag = options.rounds > 1 ? { round } : {};
      for (const kind of options.servers) {
        for (const era of kind === 'sdk' ? (['legacy'] as const) : eras) {
          const label = serverLabel({ kind, ...(kind === 'apex' ? { era } : {}), ...tag });
          process.stderr.write(`measuring ${label} at ${inflight} in flight…\n`);
          results.push({ ...(await measure(kind, era, inflight, options)), ...tag });
        }
      }
    }
  }
  const diskAfter = probeDurableCommits(tmpdir());
  process.stdout.write(report(results, options, { loadBefore, diskBefore, diskAfter }) + '\n');
  if (options.cpuProfDir !== undefined) process.stdout.write(`\nAPEX CPU profiles written to ${options.cpuProfDir}\n`);
};

main().catch((error: unknown) => {
  killAllChildren();
  process.stderr.write(`stdio-load: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
