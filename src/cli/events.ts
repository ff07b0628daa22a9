import { once } from 'node:events';
import type { Subscription } from 'rxjs';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import { openStore } from '../store/open-store.js';
import { CliError } from './cli-error.js';
import { exitQuietlyWhenReaderLeaves, fitWidths, terminalWidth, truncateCell } from './render.js';

export type EventsFormat = 'table' | 'json';

export interface EventsOptions {
  readonly store: string;
  readonly stream?: readonly string[];
  readonly type?: readonly string[];
  readonly agent?: string;
  readonly correlation?: string;
  readonly since?: string;
  readonly until?: string;
  readonly after?: string;
  readonly limit?: string;
  readonly follow?: boolean;
  readonly format: EventsFormat;
}

/** A decision on one event; the filters are parsed once, before the log is read. */
type EventFilter = (event: RecordedEvent) => boolean;

const parseTime = (flag: string, value: string): number => {
  const time = Date.parse(value);
  if (Number.isNaN(time) || !/^\d{4}-\d{2}-\d{2}/.test(value)) {
    throw new CliError(`${flag} ${JSON.stringify(value)} is not an ISO-8601 time (e.g. 2026-11-25T10:32:00Z)`);
  }
  return time;
};

const parsePosition = (flag: string, value: string): bigint => {
  if (!/^\d+$/.test(value)) throw new CliError(`${flag} ${JSON.stringify(value)} is not a position (digits)`);
  return BigInt(value);
};

const parseLimit = (value: string): number => {
  const limit = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(limit) || limit < 1) {
    throw new CliError(`--limit ${JSON.stringify(value)} is not a positive whole number`);
  }
  return limit;
};

/** `--stream agent-alice`, or a prefix with a trailing star: `--stream 'session-*'`. */
const streamMatcher = (patterns: readonly string[]): EventFilter => {
  const exact = new Set(patterns.filter((pattern) => !pattern.endsWith('*')));
  const prefixes = patterns.filter((pattern) => pattern.endsWith('*')).map((pattern) => pattern.slice(0, -1));
  return (event) => exact.has(event.stream) || prefixes.some((prefix) => event.stream.startsWith(prefix));
};

/** An agent's events: those written on its behalf, and those of its own streams (ledger, security, memory). */
const agentMatcher = (agent: string): EventFilter => {
  const ownStreams = new Set([`agent-${agent}`, `security-${agent}`, `memory-${agent}`]);
  return (event) => event.metadata.agent === agent || ownStreams.has(event.stream);
};

/** A request's events carry its correlation id in their metadata; some ledger events also in their data. */
const correlationMatcher =
  (correlationId: string): EventFilter =>
  (event) =>
    event.metadata.correlationId === correlationId ||
    (event.data as { correlationId?: unknown } | null)?.correlationId === correlationId;

/** `--type` may be given several times, each a comma-separated list. */
export const splitList = (values: readonly string[] | undefined): string[] =>
  (values ?? [])
    .flatMap((value) => value.split(','))
    .map((value) => value.trim())
    .filter((value) => value !== '');

export const buildFilter = (options: EventsOptions): EventFilter => {
  const filters: EventFilter[] = [];
  const streams = splitList(options.stream);
  if (streams.length > 0) filters.push(streamMatcher(streams));
  const types = new Set(splitList(options.type));
  if (types.size > 0) filters.push((event) => types.has(event.type));
  if (options.agent !== undefined) filters.push(agentMatcher(options.agent));
  if (options.correlation !== undefined) filters.push(correlationMatcher(options.correlation));
  if (options.since !== undefined) {
    const since = parseTime('--since', options.since);
    filters.push((event) => Date.parse(event.metadata.timestamp) >= since);
  }
  if (options.until !== undefined) {
    const until = parseTime('--until', options.until);
    filters.push((event) => Date.parse(event.metadata.timestamp) <= until);
  }
  return (event) => filters.every((filter) => filter(event));
};

/** The full envelope, bigints as decimal strings, one line: what an auditor's tools ingest. */
export const eventToJsonLine = (event: RecordedEvent): string =>
  JSON.stringify(
    {
      position: event.position,
      stream: event.stream,
      revision: event.revision,
      id: event.id,
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: event.metadata,
      prevHash: event.prevHash,
      hash: event.hash,
    },
    (_key, value: unknown) => (typeof value === 'bigint' ? value.toString() : value),
  );

/** Fixed widths, so a table can be printed while the log streams past; the data column takes the rest. */
const TABLE_COLUMNS = [
  { name: 'POSITION', width: 9, minimum: 9, cell: (event: RecordedEvent) => event.position.toString(), right: true },
  { name: 'TIME', width: 24, minimum: 24, cell: (event: RecordedEvent) => event.metadata.timestamp, right: false },
  { name: 'TYPE', width: 24, minimum: 16, cell: (event: RecordedEvent) => event.type, right: false },
  { name: 'STREAM', width: 44, minimum: 14, cell: (event: RecordedEvent) => event.stream, right: false },
  { name: 'AGENT', width: 12, minimum: 6, cell: (event: RecordedEvent) => event.metadata.agent ?? '', right: false },
] as const;
/** On a terminal, the data column keeps at least this much; the stream and agent columns give way first. */
const MIN_DATA_WIDTH = 24;

/** Column widths for a terminal of `maxWidth` characters, or the natural ones when piped. */
const columnWidths = (maxWidth: number | undefined): number[] => {
  const natural = TABLE_COLUMNS.map((column) => column.width);
  if (maxWidth === undefined) return natural;
  return fitWidths(
    natural,
    TABLE_COLUMNS.map(() => false),
    maxWidth - MIN_DATA_WIDTH - 2,
    TABLE_COLUMNS.map((column) => column.minimum),
  );
};

const tableLine = (cells: readonly string[], widths: readonly number[], maxWidth: number | undefined): string => {
  const fixed = TABLE_COLUMNS.map((column, index) => {
    const width = widths[index]!;
    const cell = maxWidth === undefined ? cells[index]! : truncateCell(cells[index]!, width);
    return column.right ? cell.padStart(width) : cell.padEnd(width);
  }).join('  ');
  const data = cells[TABLE_COLUMNS.length] ?? '';
  const line = `${fixed}  ${maxWidth === undefined ? data : truncateCell(data, Math.max(0, maxWidth - fixed.length - 2))}`;
  return `${line.trimEnd()}\n`;
};

const formatterFor = (format: EventsFormat): { header: string; line: (event: RecordedEvent) => string } => {
  if (format === 'json') return { header: '', line: (event) => `${eventToJsonLine(event)}\n` };
  const maxWidth = terminalWidth();
  const widths = columnWidths(maxWidth);
  return {
    header: tableLine([...TABLE_COLUMNS.map((column) => column.name), 'DATA'], widths, maxWidth),
    line: (event) =>
      tableLine([...TABLE_COLUMNS.map((column) => column.cell(event)), JSON.stringify(event.data)], widths, maxWidth),
  };
};

/** Writes to stdout, waiting when the reader is slower than the log (no unbounded buffering). */
const OUTPUT_CHUNK_CHARS = 64 * 1024;
const createOutput = () => {
  let pending = '';
  const flush = async (): Promise<void> => {
    if (pending === '') return;
    const chunk = pending;
    pending = '';
    if (!process.stdout.write(chunk)) await once(process.stdout, 'drain');
  };
  return {
    write: async (text: string): Promise<void> => {
      pending += text;
      if (pending.length >= OUTPUT_CHUNK_CHARS) await flush();
    },
    flush,
  };
};

/** Resolves on the first SIGINT or SIGTERM (Ctrl-C, or a supervisor stopping us): following ends cleanly. */
const untilStopSignal = () => {
  let stop: () => void = () => undefined;
  const stopped = new Promise<void>((resolve) => {
    stop = resolve;
  });
  const onSignal = () => stop();
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  return {
    stopped,
    release: () => {
      process.off('SIGINT', onSignal);
      process.off('SIGTERM', onSignal);
    },
  };
};

/** New events as they are appended after `after` (by any process sharing the store), until stopped or the limit. */
const followLive = (
  store: EventStore,
  after: bigint,
  accept: (event: RecordedEvent) => boolean,
  stopped: Promise<void>,
): Promise<void> =>
  new Promise<void>((resolve, reject) => {
    let subscription: Subscription | undefined;
    let finished = false;
    const finish = () => {
      if (finished) return;
      finished = true;
      subscription?.unsubscribe();
      resolve();
    };
    // The feed may deliver (and we may finish) before subscribe() returns: it catches up synchronously.
    subscription = store.subscribeAll(after).subscribe({
      next: (event) => {
        if (!finished && !accept(event)) finish();
      },
      error: reject,
      complete: finish,
    });
    if (finished) subscription.unsubscribe();
    void stopped.then(finish);
  });

/**
 * `apex events`: the log in position order, filtered, as a table or NDJSON. Streams the log page by
 * page (never loads it whole); with `--follow`, then waits for new events until SIGINT/SIGTERM.
 */
export const listEvents = async (options: EventsOptions): Promise<void> => {
  const matches = buildFilter(options);
  const after = options.after === undefined ? -1n : parsePosition('--after', options.after);
  const limit = options.limit === undefined ? Number.POSITIVE_INFINITY : parseLimit(options.limit);
  const formatter = formatterFor(options.format);
  exitQuietlyWhenReaderLeaves();
  const signal = options.follow === true ? untilStopSignal() : undefined;
  let stopRequested = false;
  void signal?.stopped.then(() => {
    stopRequested = true;
  });

  const store = await openStore(options.store);
  const output = createOutput();
  try {
    await output.write(formatter.header);
    let printed = 0;
    let cursor = after;
    for await (const event of store.readAll({ after })) {
      if (stopRequested) break;
      cursor = event.position;
      if (!matches(event)) continue;
      await output.write(formatter.line(event));
      printed += 1;
      if (printed >= limit) break;
    }
    await output.flush();
    if (signal === undefined || stopRequested || printed >= limit) return;

    await followLive(
      store,
      cursor,
      (event) => {
        if (!matches(event)) return true;
        process.stdout.write(formatter.line(event));
        printed += 1;
        return printed < limit;
      },
      signal.stopped,
    );
  } finally {
    signal?.release();
    await store.close();
  }
};
