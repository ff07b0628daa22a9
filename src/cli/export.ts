import { createWriteStream, existsSync, renameSync, rmSync } from 'node:fs';
import type { Writable } from 'node:stream';
import type { AsOf } from '../projections/index.js';
import type { RecordedEvent } from '../store/event-store.js';
import { ExportEncoder, type ExportFilters } from '../store/export-format.js';
import { openStore } from '../store/open-store.js';
import { isValidId, isValidStreamName, streamName } from '../store/stream-name.js';
import { CliError } from './cli-error.js';
import { createProgress } from './progress.js';
import { parseAt } from './report.js';

export interface ExportOptions {
  readonly store: string;
  readonly stream?: readonly string[];
  readonly agent?: string;
  readonly since?: string;
  readonly until?: string;
  /** A file, or '-' for stdout. */
  readonly out: string;
}

/** The progress line (stderr, only on a terminal) is updated every this many events. */
const PROGRESS_EVERY = 1_000;

/** The store URL without credentials, for the header. */
export const redactStoreUrl = (url: string): string => url.replace(/\/\/[^@/]*@/, '//***@');

/** Streams of one session, task or used request state: an agent's when their events name it. */
const AGENT_ENTITY_PREFIXES = ['session-', 'task-', 'requeststate-'] as const;

/**
 * Which events the filters keep. --stream and --agent select streams (their union); --since and
 * --until cut the log like `report --at` does: a position, or a prefix/suffix by timestamp.
 */
const eventFilter = (options: ExportOptions) => {
  const streams = new Set(options.stream ?? []);
  for (const stream of streams) {
    if (!isValidStreamName(stream)) throw new CliError(`--stream ${JSON.stringify(stream)} is not a stream name`);
  }
  const agent = options.agent;
  if (agent !== undefined && !isValidId(agent))
    throw new CliError(`--agent ${JSON.stringify(agent)} is not an agent id`);
  const agentStreams =
    agent === undefined
      ? new Set<string>()
      : new Set([
          streamName.agent(agent),
          streamName.memory(agent),
          streamName.security(agent),
          streamName.access(agent),
        ]);
  const agentEntities = new Set<string>();
  const byStream = streams.size > 0 || agent !== undefined;

  const keepsStream = (event: RecordedEvent): boolean => {
    if (!byStream || streams.has(event.stream) || agentStreams.has(event.stream)) return true;
    if (agent === undefined || !AGENT_ENTITY_PREFIXES.some((prefix) => event.stream.startsWith(prefix))) return false;
    // A session, task or request-state stream is the agent's once an event of it names the agent (the
    // first does: SessionStarted, TaskCreated, RequestStateConsumed), in its metadata or its data.
    if (event.metadata.agent === agent || (event.data as { agent?: unknown } | null)?.agent === agent) {
      agentEntities.add(event.stream);
    }
    return agentEntities.has(event.stream);
  };

  const since = parseAt(options.since);
  const until = parseAt(options.until);
  let started = since === undefined;
  const reachedSince = (event: RecordedEvent, at: AsOf): boolean =>
    'position' in at ? event.position >= at.position : Date.parse(event.metadata.timestamp) >= at.time.getTime();
  const isPastUntil = (event: RecordedEvent, at: AsOf): boolean =>
    'position' in at ? event.position > at.position : Date.parse(event.metadata.timestamp) > at.time.getTime();

  return {
    /** Events before --since are skipped; from the first one at or after it, all are in range. */
    inRange: (event: RecordedEvent): 'before' | 'in' | 'after' => {
      if (until !== undefined && isPastUntil(event, until)) return 'after';
      if (!started && since !== undefined && reachedSince(event, since)) started = true;
      return started ? 'in' : 'before';
    },
    keepsStream,
    readAfter: since !== undefined && 'position' in since ? since.position - 1n : -1n,
  };
};

const filtersOf = (options: ExportOptions): ExportFilters => ({
  ...(options.stream !== undefined && options.stream.length > 0 ? { streams: [...options.stream] } : {}),
  ...(options.agent === undefined ? {} : { agent: options.agent }),
  ...(options.since === undefined ? {} : { since: options.since }),
  ...(options.until === undefined ? {} : { until: options.until }),
});

/** Writes a line, waiting when the destination asks for it (a slow pipe, a full disk buffer). */
const writeLine = async (out: Writable, line: string): Promise<void> => {
  if (out.write(`${line}\n`)) return;
  await new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      out.off('error', onError);
      resolve();
    };
    const onError = (error: Error) => {
      out.off('drain', onDrain);
      reject(error);
    };
    out.once('drain', onDrain);
    out.once('error', onError);
  });
};

const endStream = (out: Writable): Promise<void> =>
  new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });

/**
 * `apex export`: the log (or a filtered part of it) as NDJSON with hash-chain proofs. A file is
 * written as FILE.partial and renamed when complete, so a file named FILE always has its trailer.
 */
export const exportLog = async (options: ExportOptions): Promise<void> => {
  const filter = eventFilter(options);
  const filters = filtersOf(options);
  const toStdout = options.out === '-';
  if (!toStdout && existsSync(options.out)) {
    throw new CliError(`${options.out} exists; choose another --out or remove it first`);
  }
  const store = await openStore(options.store);
  const temporary = `${options.out}.partial`;
  const out: Writable = toStdout ? process.stdout : createWriteStream(temporary, { flags: 'w' });
  const encoder = new ExportEncoder({
    source: redactStoreUrl(options.store),
    exportedAt: new Date().toISOString(),
    partial: Object.keys(filters).length > 0,
    filters,
  });
  const progress = createProgress({ label: 'export', unit: 'events' });
  let exported = 0;
  let streams = 0;
  let digest = '';
  try {
    await writeLine(out, encoder.headerLine());
    for await (const event of store.readAll({ after: filter.readAfter })) {
      const range = filter.inRange(event);
      if (range === 'after') break;
      if (range === 'before' || !filter.keepsStream(event)) continue;
      await writeLine(out, encoder.eventLine(event));
      exported += 1;
      if (exported % PROGRESS_EVERY === 0) progress.update(exported);
    }
    const closing = encoder.finishLines();
    for (const line of closing) await writeLine(out, line);
    const trailer = JSON.parse(closing.at(-1)!) as { streams: number; headsDigest: string };
    streams = trailer.streams;
    digest = trailer.headsDigest;
    if (!toStdout) {
      await endStream(out);
      renameSync(temporary, options.out);
    }
  } catch (error) {
    if (!toStdout) {
      out.destroy();
      rmSync(temporary, { force: true });
    }
    throw error;
  } finally {
    progress.finish();
    await store.close();
  }
  const scope = Object.keys(filters).length > 0 ? ` (partial: ${JSON.stringify(filters)})` : '';
  process.stderr.write(
    `exported ${exported} events in ${streams} streams${scope}${toStdout ? '' : ` to ${options.out}`}\nheads digest: ${digest}\n`,
  );
};
