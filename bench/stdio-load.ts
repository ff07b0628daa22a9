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
 *   npx tsx bench/stdio-load.ts [--seconds 5] [--warmup 1] [--inflight 1,64] [--servers sdk,apex]
 *                               [--cpu-prof DIR] [--keep]
 *
 * Figures are printed only; nothing here asserts on time.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import Database from 'better-sqlite3';
import { ChildServer, killAllChildren, peakRssKiB } from './support/child-server.js';
import { type DiskProbe, probeDurableCommits } from './support/disk-probe.js';
import { type LoadResult, runLoad } from './support/load.js';

type ServerKind = 'sdk' | 'apex';

interface Measurement {
  readonly kind: ServerKind;
  readonly load: LoadResult;
  readonly startMs: number;
  readonly peakRssKiB: number | undefined;
  readonly exit: string;
  /** APEX only: rows in the events table after the child exited, and their count by type. */
  readonly events:
    | { readonly total: number; readonly byType: ReadonlyArray<{ type: string; count: number }> }
    | undefined;
}

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const AGENT = 'bench';
const MESSAGE = 'hello from the stdio load benchmark';
const PROTOCOL_VERSION = '2025-11-25';
const HANDSHAKE_TIMEOUT_MS = 60_000;
const STALL_MS = 30_000;
const EXIT_TIMEOUT_MS = 30_000;

const usage = `usage: npx tsx bench/stdio-load.ts [--seconds N] [--warmup N] [--inflight 1,64] [--servers sdk,apex] [--cpu-prof DIR] [--keep]
  --seconds N      measured window per measurement, seconds (default 5)
  --warmup N       warm-up before each window, seconds (default 1)
  --inflight LIST  requests kept in flight, comma-separated (default 1,64)
  --servers LIST   which servers, in order (default sdk,apex)
  --cpu-prof DIR   run the APEX child with node --cpu-prof, profiles written to DIR
                   (summarise with: npx tsx bench/support/cpuprofile-summary.ts DIR/<file>.cpuprofile)
  --durability D   APEX's SQLite durability: durable (default, fsync before every acknowledgement) or normal
  --keep           keep the temporary directories (APEX config and SQLite file) and print where they are`;

const parseList = (value: string, what: string): number[] =>
  value.split(',').map((item) => {
    const n = Number(item.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${what}: ${JSON.stringify(item)} is not a positive integer`);
    return n;
  });

const parsePositive = (value: string, what: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${what}: ${JSON.stringify(value)} is not a positive number`);
  return n;
};

const parseOptions = () => {
  const { values } = parseArgs({
    options: {
      seconds: { type: 'string', default: '5' },
      warmup: { type: 'string', default: '1' },
      inflight: { type: 'string', default: '1,64' },
      servers: { type: 'string', default: 'sdk,apex' },
      'cpu-prof': { type: 'string' },
      keep: { type: 'boolean', default: false },
      durability: { type: 'string', default: 'durable' },
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
    cpuProfDir: values['cpu-prof'] === undefined ? undefined : resolve(values['cpu-prof']),
    keep: values.keep,
    durability: values.durability,
  };
};

type Options = ReturnType<typeof parseOptions>;

/** The example configuration with one agent, `bench`, whose balance never runs out. */
const writeApexConfig = (dir: string): string => {
  const example = JSON.parse(readFileSync(join(ROOT, 'examples/apex.config.json'), 'utf8')) as {
    agents?: Record<string, Record<string, unknown>>;
  };
  const base = example.agents?.alice ?? {};
  const config = {
    ...example,
    agents: {
      [AGENT]: {
        ...base,
        name: 'Load benchmark',
        balance: '1000000000',
        debtLimit: '0',
        permissions: ['demo'],
      },
    },
  };
  const path = join(dir, 'apex.config.json');
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
};

const countEvents = (dbPath: string): Measurement['events'] => {
  const db = new Database(dbPath, { readonly: true, fileMustExist: true });
  try {
    const total = Number((db.prepare('SELECT COUNT(*) AS n FROM events').get() as { n: number | bigint }).n);
    const byType = (
      db.prepare('SELECT type, COUNT(*) AS count FROM events GROUP BY type ORDER BY count DESC, type').all() as Array<{
        type: string;
        count: number | bigint;
      }>
    ).map((row) => ({ type: row.type, count: Number(row.count) }));
    return { total, byType };
  } finally {
    db.close();
  }
};

/** Temporary directories still to remove, also when the benchmark is interrupted (Ctrl-C). */
const temporaryDirs = new Set<string>();
process.on('exit', () => {
  killAllChildren();
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

const measure = async (kind: ServerKind, inflight: number, options: Options): Promise<Measurement> => {
  const dir = mkdtempSync(join(tmpdir(), `apex-stdio-load-${kind}-`));
  if (!options.keep) temporaryDirs.add(dir);
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
            `apex-inflight-${inflight}-${Date.now()}.cpuprofile`,
          ];
    const configPath = writeApexConfig(dir);
    args = [
      ...profile,
      ...nodeFlags,
      'src/cli/main.ts',
      'serve',
      '--config',
      configPath,
      '--agent',
      AGENT,
      '--store',
      `sqlite:${dbPath}?durability=${options.durability}`,
    ];
  }
  const spawnedNs = process.hrtime.bigint();
  const server = ChildServer.spawn({
    label: kind === 'sdk' ? 'SDK echo server' : 'APEX',
    args,
    cwd: ROOT,
    env: { ...process.env, APEX_LOG_LEVEL: 'warn' },
  });
  try {
    await server.request(
      1,
      'initialize',
      { protocolVersion: PROTOCOL_VERSION, capabilities: {}, clientInfo: { name: 'stdio-load', version: '1.0.0' } },
      HANDSHAKE_TIMEOUT_MS,
    );
    const startMs = Number(process.hrtime.bigint() - spawnedNs) / 1e6;
    server.notify('notifications/initialized');

    const load = await runLoad(server, {
      inflight,
      warmupMs: options.warmupMs,
      measureMs: options.measureMs,
      message: MESSAGE,
      stallMs: STALL_MS,
      firstId: 2,
    });
    const rss = peakRssKiB(server.pid); // before exit: /proc/<pid> goes with the process
    const exit = await server.close(EXIT_TIMEOUT_MS);
    const exitText = exit.code === 0 ? 'ok' : exit.code !== null ? `exit ${exit.code}` : `killed (${exit.signal})`;
    if (exit.code !== 0) process.stderr.write(`${server.failure(`ended with ${exitText}`).message}\n`);
    const events = kind === 'apex' ? countEvents(dbPath) : undefined;
    return { kind, load, startMs, peakRssKiB: rss, exit: exitText, events };
  } finally {
    if (!server.hasExited) server.child.kill('SIGKILL');
    if (options.keep) process.stderr.write(`kept ${dir}\n`);
    else {
      rmSync(dir, { recursive: true, force: true });
      temporaryDirs.delete(dir);
    }
  }
};

// ---------------------------------------------------------------------------------------------
// Report

const NAMES: Record<ServerKind, string> = { sdk: 'SDK 1.x', apex: 'APEX' };

const fixed = (n: number | undefined, digits: number): string =>
  n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(digits);
const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

const table = (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string => {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

const loadAverage = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

/** Linux pressure stall information: share of time some runnable task waited for a CPU (last 60 s). */
const cpuPressure = (): string => {
  try {
    const match = /^some avg10=([\d.]+) avg60=([\d.]+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return match === null ? 'n/a' : `${match[2]}% (avg60)`;
  } catch {
    return 'n/a';
  }
};

/** The commit APEX ran from, and whether src/ had uncommitted changes (read-only git commands). */
const sourceRevision = (): string => {
  try {
    const git = (...args: string[]) => execFileSync('git', args, { cwd: ROOT, encoding: 'utf8' }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src') === '' ? commit : `${commit} + uncommitted changes in src/`;
  } catch {
    return 'unknown (no git)';
  }
};

interface Context {
  readonly loadBefore: string;
  readonly diskBefore: DiskProbe;
  readonly diskAfter: DiskProbe;
}

const sdkVersion = (): string => {
  try {
    const path = join(ROOT, 'node_modules/@modelcontextprotocol/sdk/package.json');
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

const describeDisk = (probe: DiskProbe): string =>
  `p50 ${fixed(probe.p50Ms, 2)} ms, p99 ${fixed(probe.p99Ms, 2)} ms (${grouped(probe.commitsPerSecond)}/s)`;

const report = (results: readonly Measurement[], options: Options, context: Context): string => {
  const cpu = cpus();
  const out: string[] = [];
  out.push(
    `stdio load: tools/call echo, ${options.warmupMs / 1000} s warm-up + ${options.measureMs / 1000} s measured per row, fresh child per row`,
    `${new Date().toISOString()}  Node ${process.version}  ${cpu.length} cores (${cpu[0]?.model.trim() ?? 'unknown CPU'})`,
    'both servers run as `node --import tsx <entry>`; APEX on a fresh temporary SQLite file (its default durability)',
    `APEX source: ${sourceRevision()}; SDK: @modelcontextprotocol/sdk ${sdkVersion()}`,
    `load average (1/5/15 min) before: ${context.loadBefore}, after: ${loadAverage()}; CPU pressure after: ${cpuPressure()}`,
    `disk (${tmpdir()}): one durable 1-row SQLite commit (WAL, synchronous=FULL) before: ${describeDisk(context.diskBefore)}; after: ${describeDisk(context.diskAfter)}`,
    '(other work on the machine skews the figures: compare rows of one run, not runs of different moments)',
    '',
  );
  const rows = results.map((m) => [
    String(m.load.inflight),
    NAMES[m.kind],
    grouped(m.load.requestsPerSecond),
    fixed(m.load.p50Ms, 3),
    fixed(m.load.p99Ms, 3),
    fixed(m.load.maxMs, 1),
    m.load.serverCores === undefined ? 'n/a' : `${Math.round(m.load.serverCores * 100)}%`,
    `${Math.round(m.load.clientCores * 100)}%`,
    m.peakRssKiB === undefined ? 'n/a' : fixed(m.peakRssKiB / 1024, 0),
    fixed(m.startMs, 0),
    String(m.load.errors),
    m.events === undefined ? '-' : `${grouped(m.events.total)} (${fixed(m.events.total / m.load.answered, 2)}/call)`,
  ]);
  out.push(
    table(
      [
        'in flight',
        'server',
        'req/s',
        'p50 ms',
        'p99 ms',
        'max ms',
        'server CPU',
        'client CPU',
        'peak RSS MiB',
        'start ms',
        'errors',
        'events recorded',
      ],
      rows,
    ),
  );

  const ratioRows: string[][] = [];
  for (const inflight of options.inflight) {
    const sdk = results.find((m) => m.kind === 'sdk' && m.load.inflight === inflight);
    const apex = results.find((m) => m.kind === 'apex' && m.load.inflight === inflight);
    if (sdk === undefined || apex === undefined) continue;
    ratioRows.push([
      String(inflight),
      'APEX vs SDK',
      `${fixed(apex.load.requestsPerSecond / sdk.load.requestsPerSecond, 2)}×`,
      `${apex.load.p50Ms >= sdk.load.p50Ms ? '+' : ''}${fixed(apex.load.p50Ms - sdk.load.p50Ms, 3)}`,
      `${apex.load.p99Ms >= sdk.load.p99Ms ? '+' : ''}${fixed(apex.load.p99Ms - sdk.load.p99Ms, 3)}`,
    ]);
  }
  if (ratioRows.length > 0) {
    out.push(
      '',
      table(['in flight', 'comparison', 'throughput APEX/SDK', 'p50 added ms', 'p99 added ms'], ratioRows),
      'targets: throughput APEX/SDK >= 1.0× at 64 in flight; p99 added < 2 ms at 1 in flight',
    );
  }

  for (const m of results) {
    if (m.events === undefined) continue;
    // Types recorded for (about) every call, per call; the rest (start-up, session) as a count.
    const perCall = m.events.byType.filter((row) => row.count * 2 >= m.load.answered);
    const others = m.events.byType.filter((row) => row.count * 2 < m.load.answered);
    const otherCount = others.reduce((sum, row) => sum + row.count, 0);
    out.push(
      '',
      `APEX at ${m.load.inflight} in flight: ${grouped(m.load.answered)} tools/call answered, ${grouped(m.events.total)} events stored:`,
      `  per call: ${perCall.map((row) => `${row.type} ${fixed(row.count / m.load.answered, 2)}`).join(', ')}`,
      `  other: ${otherCount} (${others.map((row) => `${row.type} ${row.count}`).join(', ')})`,
    );
  }
  const failures = results.filter((m) => m.load.errors > 0 || m.exit !== 'ok');
  for (const m of failures) {
    out.push(
      '',
      `WARNING ${NAMES[m.kind]} at ${m.load.inflight} in flight: ${m.load.errors} error responses, exit ${m.exit}` +
        (m.load.firstError === undefined ? '' : `; first: ${m.load.firstError}`),
    );
  }
  out.push(
    '',
    'server CPU: the child (all threads) during the window, 100% = one core busy; client CPU: this process.',
    'latency: from writing the request to reading its response line (process.hrtime.bigint), over the window.',
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
      process.stderr.write(`measuring ${NAMES[kind]} at ${inflight} in flight…\n`);
      results.push(await measure(kind, inflight, options));
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
