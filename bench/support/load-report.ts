/**
 * The report of a load benchmark (stdio-load, http-load): one row per measurement, the APEX/SDK
 * comparison per in-flight count, the events APEX recorded per call, and the machine facts a
 * reader needs to judge the figures (load average, CPU pressure, source revision).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import type { RecordedEvents } from './apex-setup.js';
import type { DiskProbe } from './disk-probe.js';
import { ERA_VERSIONS, type Era } from './eras.js';
import type { LoadResult } from './load.js';

export type ServerKind = 'sdk' | 'apex';

export const SERVER_NAMES: Record<ServerKind, string> = { sdk: 'SDK 1.x', apex: 'APEX' };

export interface Measurement {
  readonly kind: ServerKind;
  /** APEX only, when the benchmark runs it in a chosen era (stdio-load); absent: legacy, unlabelled. */
  readonly era?: Era;
  /** Which repetition of its row (stdio-load --rounds N > 1); absent: measured once. */
  readonly round?: number;
  readonly load: LoadResult;
  readonly startMs: number;
  readonly peakRssKiB: number | undefined;
  readonly exit: string;
  /** APEX only: rows in the events table after the child exited, and their count by type. */
  readonly events: RecordedEvents | undefined;
}

/** The row's server: `SDK 1.x`, `APEX`, or with an era `APEX legacy` / `APEX modern`, and `#2` for a round. */
export const serverLabel = (m: Pick<Measurement, 'kind' | 'era' | 'round'>): string =>
  (m.era === undefined ? SERVER_NAMES[m.kind] : `${SERVER_NAMES[m.kind]} ${m.era}`) +
  (m.round === undefined ? '' : ` #${m.round}`);

export const fixed = (n: number | undefined, digits: number): string =>
  n === undefined || Number.isNaN(n) ? 'n/a' : n.toFixed(digits);
export const grouped = (n: number): string => Math.round(n).toLocaleString('en-US');

/** A plain-text table: the first two columns left-aligned, the others right-aligned. */
export const table = (header: readonly string[], rows: ReadonlyArray<readonly string[]>): string => {
  const widths = header.map((title, i) => Math.max(title.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: readonly string[]) =>
    cells.map((cell, i) => (i < 2 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
};

export const loadAverage = (): string =>
  loadavg()
    .map((n) => n.toFixed(2))
    .join(' ');

/** Linux pressure stall information: share of time some runnable task waited for a CPU (last 60 s). */
export const cpuPressure = (): string => {
  try {
    const match = /^some avg10=([\d.]+) avg60=([\d.]+)/m.exec(readFileSync('/proc/pressure/cpu', 'utf8'));
    return match === null ? 'n/a' : `${match[2]}% (avg60)`;
  } catch {
    return 'n/a';
  }
};

/** The commit APEX ran from, and whether src/ had uncommitted changes (read-only git commands). */
export const sourceRevision = (root: string): string => {
  try {
    const git = (...args: string[]) =>
      execFileSync('git', args, { cwd: root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
    const commit = git('rev-parse', '--short', 'HEAD');
    return git('status', '--porcelain', '--', 'src') === '' ? commit : `${commit} + uncommitted changes in src/`;
  } catch {
    return 'unknown (no git)';
  }
};

export const sdkVersion = (root: string): string => {
  try {
    const path = join(root, 'node_modules/@modelcontextprotocol/sdk/package.json');
    return (JSON.parse(readFileSync(path, 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
};

export const describeDisk = (probe: DiskProbe): string =>
  `p50 ${fixed(probe.p50Ms, 2)} ms, p99 ${fixed(probe.p99Ms, 2)} ms (${grouped(probe.commitsPerSecond)}/s)`;

/** One row per measurement. */
export const measurementsTable = (results: readonly Measurement[]): string =>
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
    results.map((m) => [
      String(m.load.inflight),
      serverLabel(m),
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
    ]),
  );

const signed = (n: number | undefined, digits: number): string =>
  n === undefined || Number.isNaN(n) ? 'n/a' : `${n >= 0 ? '+' : ''}${fixed(n, digits)}`;

const median = (values: readonly number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle]! : (sorted[middle - 1]! + sorted[middle]!) / 2;
};

/** The figures the comparisons use, of one row or, over rounds, the median of each figure. */
interface Figures {
  readonly rows: number;
  readonly requestsPerSecond: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  /** Server CPU per answered request in the window, in microseconds. */
  readonly cpuMicrosPerRequest: number | undefined;
  readonly eventsPerCall: number | undefined;
  /** Characters of stored event JSON (data + metadata) per answered tools/call, whole run. */
  readonly eventCharsPerCall: number | undefined;
}

const medianOf = (rows: readonly Measurement[], f: (m: Measurement) => number | undefined): number | undefined => {
  const values = rows.map(f);
  return values.some((v) => v === undefined) ? undefined : median(values as number[]);
};

const figuresOf = (rows: readonly Measurement[]): Figures | undefined =>
  rows.length === 0
    ? undefined
    : {
        rows: rows.length,
        requestsPerSecond: median(rows.map((m) => m.load.requestsPerSecond)),
        p50Ms: median(rows.map((m) => m.load.p50Ms)),
        p99Ms: median(rows.map((m) => m.load.p99Ms)),
        cpuMicrosPerRequest: medianOf(rows, (m) =>
          m.load.serverCores === undefined ? undefined : (m.load.serverCores * 1e6) / m.load.requestsPerSecond,
        ),
        eventsPerCall: medianOf(rows, (m) => (m.events === undefined ? undefined : m.events.total / m.load.answered)),
        eventCharsPerCall: medianOf(rows, (m) =>
          m.events === undefined ? undefined : m.events.payloadChars / m.load.answered,
        ),
      };

const rowsOf = (results: readonly Measurement[], inflight: number, kind: ServerKind, era?: Era): Measurement[] =>
  results.filter((m) => m.kind === kind && m.load.inflight === inflight && (era === undefined || m.era === era));

/** ` (medians of N rounds)` when the figures come from more than one row. */
const roundsNote = (figures: readonly Figures[]): string => {
  const most = Math.max(...figures.map((f) => f.rows));
  return most > 1 ? ` (medians of ${most} rounds)` : '';
};

/**
 * Throughput APEX/SDK and the latency APEX adds, per in-flight count measured for both; undefined if
 * none was. APEX's legacy rows when there are some (the SDK speaks only the legacy era), else its modern rows.
 */
export const comparisonTable = (results: readonly Measurement[], inflights: readonly number[]): string | undefined => {
  const rows: string[][] = [];
  const used: Figures[] = [];
  for (const inflight of inflights) {
    const apexRows = rowsOf(results, inflight, 'apex');
    const apexEra = apexRows.find((m) => m.era !== 'modern')?.era ?? apexRows[0]?.era;
    const sdk = figuresOf(rowsOf(results, inflight, 'sdk'));
    const apex = figuresOf(apexRows.filter((m) => m.era === apexEra));
    if (sdk === undefined || apex === undefined) continue;
    used.push(sdk, apex);
    rows.push([
      String(inflight),
      `${serverLabel({ kind: 'apex', ...(apexEra === undefined ? {} : { era: apexEra }) })} vs SDK`,
      `${fixed(apex.requestsPerSecond / sdk.requestsPerSecond, 2)}×`,
      signed(apex.p50Ms - sdk.p50Ms, 3),
      signed(apex.p99Ms - sdk.p99Ms, 3),
    ]);
  }
  return rows.length === 0
    ? undefined
    : table(
        ['in flight', `comparison${roundsNote(used)}`, 'throughput APEX/SDK', 'p50 added ms', 'p99 added ms'],
        rows,
      );
};

/**
 * What APEX's modern era (2026-07-28) costs per request beside its legacy era (2025-11-25), per
 * in-flight count measured in both: throughput ratio, latency added, server CPU per request, and
 * what the store recorded per call (medians over rounds, if any). Undefined if no in-flight count
 * was measured in both eras.
 */
export const eraComparisonTable = (
  results: readonly Measurement[],
  inflights: readonly number[],
): string | undefined => {
  const rows: string[][] = [];
  const used: Figures[] = [];
  for (const inflight of inflights) {
    const legacy = figuresOf(rowsOf(results, inflight, 'apex', 'legacy'));
    const modern = figuresOf(rowsOf(results, inflight, 'apex', 'modern'));
    if (legacy === undefined || modern === undefined) continue;
    used.push(legacy, modern);
    const both = (value: (f: Figures) => number | undefined, digits: number): string =>
      `${fixed(value(legacy), digits)} → ${fixed(value(modern), digits)}`;
    rows.push([
      String(inflight),
      'modern vs legacy',
      `${fixed(modern.requestsPerSecond / legacy.requestsPerSecond, 2)}×`,
      signed(modern.requestsPerSecond - legacy.requestsPerSecond, 0),
      signed(modern.p50Ms - legacy.p50Ms, 3),
      signed(modern.p99Ms - legacy.p99Ms, 3),
      both((f) => f.cpuMicrosPerRequest, 0),
      both((f) => f.eventsPerCall, 2),
      both((f) => f.eventCharsPerCall, 0),
    ]);
  }
  return rows.length === 0
    ? undefined
    : table(
        [
          'in flight',
          `comparison${roundsNote(used)}`,
          'req/s modern/legacy',
          'req/s added',
          'p50 added ms',
          'p99 added ms',
          'server CPU µs/req',
          'events/call',
          'event chars/call',
        ],
        rows,
      );
};

/** The line under eraComparisonTable saying what its columns are. */
export const eraComparisonNote = (): string =>
  `eras: legacy = ${ERA_VERSIONS.legacy} (initialize once, then plain requests); modern = ${ERA_VERSIONS.modern} ` +
  '(no initialize, the envelope in every request\'s _meta). "a → b": legacy → modern. server CPU µs/req: the ' +
  "child's CPU in the window / requests answered in it; event chars/call: the stored events' data + metadata " +
  'JSON, whole run / tools/call answered (session and start-probe events included).';

/** Per APEX measurement (the first round's, if rounds): the event types recorded for (about) every call, per call, and the rest as counts. */
export const eventSummaries = (results: readonly Measurement[]): string[] => {
  const out: string[] = [];
  for (const m of results) {
    if (m.events === undefined || (m.round ?? 1) > 1) continue; // one summary per row, not per round
    const perCall = m.events.byType.filter((row) => row.count * 2 >= m.load.answered);
    const others = m.events.byType.filter((row) => row.count * 2 < m.load.answered);
    const otherCount = others.reduce((sum, row) => sum + row.count, 0);
    out.push(
      '',
      `${serverLabel(m)} at ${m.load.inflight} in flight: ${grouped(m.load.answered)} tools/call answered, ${grouped(m.events.total)} events stored:`,
      `  per call: ${perCall.map((row) => `${row.type} ${fixed(row.count / m.load.answered, 2)}`).join(', ')}`,
      `  other: ${otherCount} (${others.map((row) => `${row.type} ${row.count}`).join(', ')})`,
    );
  }
  return out;
};

/** A warning per measurement with error responses or a server that did not exit cleanly. */
export const failureWarnings = (results: readonly Measurement[]): string[] =>
  results
    .filter((m) => m.load.errors > 0 || m.exit !== 'ok')
    .flatMap((m) => [
      '',
      `WARNING ${serverLabel(m)} at ${m.load.inflight} in flight: ${m.load.errors} error responses, exit ${m.exit}` +
        (m.load.firstError === undefined ? '' : `; first: ${m.load.firstError}`),
    ]);
