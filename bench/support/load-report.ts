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
import type { LoadResult } from './load.js';

export type ServerKind = 'sdk' | 'apex';

export const SERVER_NAMES: Record<ServerKind, string> = { sdk: 'SDK 1.x', apex: 'APEX' };

export interface Measurement {
  readonly kind: ServerKind;
  readonly load: LoadResult;
  readonly startMs: number;
  readonly peakRssKiB: number | undefined;
  readonly exit: string;
  /** APEX only: rows in the events table after the child exited, and their count by type. */
  readonly events: RecordedEvents | undefined;
}

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
      SERVER_NAMES[m.kind],
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

/** Throughput APEX/SDK and the latency APEX adds, per in-flight count measured for both; undefined if none was. */
export const comparisonTable = (results: readonly Measurement[], inflights: readonly number[]): string | undefined => {
  const rows: string[][] = [];
  for (const inflight of inflights) {
    const sdk = results.find((m) => m.kind === 'sdk' && m.load.inflight === inflight);
    const apex = results.find((m) => m.kind === 'apex' && m.load.inflight === inflight);
    if (sdk === undefined || apex === undefined) continue;
    rows.push([
      String(inflight),
      'APEX vs SDK',
      `${fixed(apex.load.requestsPerSecond / sdk.load.requestsPerSecond, 2)}×`,
      `${apex.load.p50Ms >= sdk.load.p50Ms ? '+' : ''}${fixed(apex.load.p50Ms - sdk.load.p50Ms, 3)}`,
      `${apex.load.p99Ms >= sdk.load.p99Ms ? '+' : ''}${fixed(apex.load.p99Ms - sdk.load.p99Ms, 3)}`,
    ]);
  }
  return rows.length === 0
    ? undefined
    : table(['in flight', 'comparison', 'throughput APEX/SDK', 'p50 added ms', 'p99 added ms'], rows);
};

/** Per APEX measurement: the event types recorded for (about) every call, per call, and the rest as counts. */
export const eventSummaries = (results: readonly Measurement[]): string[] => {
  const out: string[] = [];
  for (const m of results) {
    if (m.events === undefined) continue;
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
  return out;
};

/** A warning per measurement with error responses or a server that did not exit cleanly. */
export const failureWarnings = (results: readonly Measurement[]): string[] =>
  results
    .filter((m) => m.load.errors > 0 || m.exit !== 'ok')
    .flatMap((m) => [
      '',
      `WARNING ${SERVER_NAMES[m.kind]} at ${m.load.inflight} in flight: ${m.load.errors} error responses, exit ${m.exit}` +
        (m.load.firstError === undefined ? '' : `; first: ${m.load.firstError}`),
    ]);
