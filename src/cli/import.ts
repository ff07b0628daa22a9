import { createReadStream, createWriteStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pipeline } from 'node:stream/promises';
import * as E from 'fp-ts/lib/Either.js';
import type { EventStore, NewEvent } from '../store/event-store.js';
import {
  decodeExportLine,
  describeExportProblem,
  type ExportedEvent,
  toNewEvent,
  verifyExportLines,
} from '../store/export-format.js';
import { openStore, parseStoreUrl } from '../store/open-store.js';
import { verifyChain } from '../store/verify.js';
import { CliError } from './cli-error.js';
import { redactStoreUrl } from './export.js';
import { createProgress } from './progress.js';

export interface ImportOptions {
  readonly store: string;
  /** A file, or '-' for stdin. */
  readonly in: string;
}

/** The part of an event that has to be the same in the target: where it is, and its link in the chain. */
export interface EventToCopy {
  readonly id: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly event: NewEvent;
  /** The hash the source holds; the target's recomputed hash must equal it. */
  readonly hash: string;
  readonly prevHash: string;
  /** Its position in the source, to name it. */
  readonly position: bigint;
  /** Rough size, to keep one append under the engine's message limit. */
  readonly bytes: number;
}

/** A copy stopped: the target's chain differs from the source's, or another writer got in. */
export class CopyRefused extends Error {
  override readonly name = 'CopyRefused';
}

/** The progress line (stderr, only on a terminal) is updated every this many events. */
const PROGRESS_EVERY = 1_000;
/** Events appended per window before the window is read back from the target and compared. */
const WINDOW_EVENTS = 4_096;
/** One append carries consecutive events of one stream, at most this many… */
const RUN_EVENTS = 512;
/** …and about this many bytes (EventStoreDB refuses appends over 1 MiB by default). */
const RUN_BYTES = 512 * 1024;

const describeEvent = (event: Pick<EventToCopy, 'id' | 'stream' | 'revision' | 'position'>): string =>
  `event ${event.id} (${event.stream} revision ${event.revision}, source position ${event.position})`;

/**
 * Appends events to `target` in the order given (the source's position order), each stream at its
 * exact expected revision, keeping ids, data and metadata — so the target recomputes the same
 * chain. After each window the target's events are read back and compared with the source's
 * (id, stream, revision, type, prevHash, hash): the first difference stops the copy, naming it.
 *
 * `pipelined`: on SQLite, appends queued together are written in call order by one group commit,
 * so a window can be sent without waiting for each append. EventStoreDB's appends to different
 * streams race one another, so there each append waits for the previous one, to keep global order.
 */
export class OrderedCopier {
  #window: EventToCopy[] = [];
  #run: EventToCopy[] = [];
  #runBytes = 0;
  #appends: Promise<void>[] = [];
  #checkedAfter: bigint;
  #copied = 0;

  constructor(
    private readonly target: EventStore,
    private readonly pipelined: boolean,
    targetHeadPosition: bigint,
  ) {
    this.#checkedAfter = targetHeadPosition;
  }

  get copied(): number {
    return this.#copied;
  }

  async add(event: EventToCopy): Promise<void> {
    const first = this.#run[0];
    if (
      first !== undefined &&
      (first.stream !== event.stream || this.#run.length >= RUN_EVENTS || this.#runBytes + event.bytes > RUN_BYTES)
    ) {
      await this.#sendRun();
    }
    this.#run.push(event);
    this.#runBytes += event.bytes;
    this.#window.push(event);
    if (this.#window.length >= WINDOW_EVENTS) await this.flush();
  }

  /** Sends what is queued and checks it against the target. */
  async flush(): Promise<void> {
    await this.#sendRun();
    const settled = await Promise.allSettled(this.#appends);
    this.#appends = [];
    const failure = settled.find((outcome) => outcome.status === 'rejected');
    if (failure !== undefined) throw failure.reason;
    await this.#checkWindow();
  }

  async #sendRun(): Promise<void> {
    const run = this.#run;
    if (run.length === 0) return;
    this.#run = [];
    this.#runBytes = 0;
    const first = run[0]!;
    const expected = first.revision === 0n ? 'no_stream' : first.revision - 1n;
    const appended = this.target.append(
      first.stream,
      expected,
      run.map((event) => event.event),
    );
    const checked = appended.then((result) => {
      if (E.isLeft(result)) {
        const actual = result.left.actual === 'no_stream' ? 'does not exist' : `is at revision ${result.left.actual}`;
        throw new CopyRefused(
          `${first.stream} ${actual} in the target, but ${describeEvent(first)} needs it at ${expected === 'no_stream' ? 'no stream' : `revision ${expected}`}: did another process write to the target?`,
        );
      }
    });
    if (!this.pipelined) return checked;
    // Handled in flush(); marking it now keeps Node from calling an early failure unhandled.
    checked.catch(() => undefined);
    this.#appends.push(checked);
  }

  async #checkWindow(): Promise<void> {
    const window = this.#window;
    if (window.length === 0) return;
    this.#window = [];
    let index = 0;
    for await (const stored of this.target.readAll({ after: this.#checkedAfter, maxCount: window.length })) {
      const source = window[index]!;
      const mismatch =
        stored.id.toLowerCase() !== source.id.toLowerCase()
          ? `the target holds event ${stored.id} there`
          : stored.stream !== source.stream || stored.revision !== source.revision
            ? `the target placed it at ${stored.stream} revision ${stored.revision}`
            : stored.prevHash !== source.prevHash || stored.hash !== source.hash
              ? `the target's chain gives hash ${stored.hash} (prevHash ${stored.prevHash}), the source's ${source.hash} (prevHash ${source.prevHash})`
              : undefined;
      if (mismatch !== undefined) {
        throw new CopyRefused(
          `${describeEvent(source)} differs in the target: ${mismatch}. The target now holds the ${this.#copied + index} events before it; discard it before trying again.`,
        );
      }
      this.#checkedAfter = stored.position;
      index += 1;
    }
    if (index !== window.length) {
      throw new CopyRefused(
        `the target shows ${index} of the last ${window.length} events appended: discard it and try again`,
      );
    }
    this.#copied += window.length;
  }
}

const readLines = (path: string): AsyncIterable<string> =>
  createInterface({ input: createReadStream(path, { encoding: 'utf8' }), crlfDelay: Number.POSITIVE_INFINITY });

/** Reading twice (verify, then import) needs a file: stdin is copied to a temporary one first. */
const withInputFile = async <T>(input: string, use: (path: string) => Promise<T>): Promise<T> => {
  if (input !== '-') return use(input);
  const dir = mkdtempSync(join(tmpdir(), 'apex-import-'));
  try {
    const path = join(dir, 'export.ndjson');
    await pipeline(process.stdin, createWriteStream(path));
    return await use(path);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
};

const toCopy = (event: ExportedEvent, line: string): EventToCopy => ({
  id: event.id,
  stream: event.stream,
  revision: event.revision,
  event: toNewEvent(event),
  hash: event.hash,
  prevHash: event.prevHash,
  position: event.position,
  bytes: line.length,
});

/**
 * `apex import`: a complete export into an empty store — the migration path between engines.
 * The export is verified first (nothing is written if it does not verify); the target then
 * assigns its own positions and recomputes the chain, which must equal the export's. Returns the
 * exit code: 0 imported, 1 refused because a check failed.
 */
export const importLog = async (options: ImportOptions): Promise<number> =>
  withInputFile(options.in, async (path) => {
    const report = await verifyExportLines(readLines(path)).catch((error: unknown) => {
      throw new CliError(`cannot read ${options.in}: ${(error as Error).message}`);
    });
    if (!report.ok) {
      process.stdout.write(`REFUSED: the export does not verify: ${describeExportProblem(report)}\n`);
      return 1;
    }
    if (report.partial || report.anchors.length > 0) {
      throw new CliError(
        `this export is partial (${JSON.stringify(report.filters)}): it holds part of the log, which cannot seed a store. ` +
          'Export the whole log (no --stream, --agent, --since or --until) to migrate it.',
      );
    }

    const target = await openStore(options.store);
    try {
      const head = await target.headPosition();
      if (head !== -1n) {
        throw new CliError(
          `the target store ${redactStoreUrl(options.store)} already holds events (head position ${head}); import needs an empty store`,
        );
      }
      const copier = new OrderedCopier(target, parseStoreUrl(options.store).engine === 'sqlite', head);
      const progress = createProgress({ label: 'import', unit: 'events', total: report.events });
      let sent = 0;
      try {
        for await (const line of readLines(path)) {
          const decoded = decodeExportLine(line);
          // The file verified a moment ago; a line that no longer decodes means it changed since.
          if (E.isLeft(decoded)) throw new CopyRefused(`${options.in} changed while being imported: ${decoded.left}`);
          if (decoded.right.kind !== 'event') continue;
          await copier.add(toCopy(decoded.right, line));
          if (++sent % PROGRESS_EVERY === 0) progress.update(sent);
        }
        await copier.flush();
      } catch (error) {
        if (!(error instanceof CopyRefused)) throw error;
        process.stdout.write(`REFUSED: ${error.message}\n`);
        return 1;
      } finally {
        progress.finish();
      }

      const chain = await verifyChain(target);
      if (!chain.ok || chain.digest !== report.headsDigest) {
        process.stdout.write(
          chain.ok
            ? `REFUSED: the target's heads digest ${chain.digest} differs from the export's ${report.headsDigest}\n`
            : `REFUSED: the target's chain is broken at position ${chain.firstBroken.position} (${chain.firstBroken.stream} revision ${chain.firstBroken.revision}): ${chain.firstBroken.reason}\n`,
        );
        return 1;
      }
      process.stdout.write(
        `ok: imported ${copier.copied} events in ${report.streams} streams into ${redactStoreUrl(options.store)}\n` +
          `heads digest: ${chain.digest} (equal to the export's)\n`,
      );
      return 0;
    } finally {
      await target.close();
    }
  });
