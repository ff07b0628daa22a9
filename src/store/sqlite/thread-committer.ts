import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, extname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import type { Either } from 'fp-ts/lib/Either.js';
import type { AppendError, AppendResult } from '../event-store.js';
import { type BatchCommitted, takeBatch } from './group-commit.js';
import type { PreparedAppend } from './validate-append.js';
import { ConflictingEventIds } from './write-batch.js';
import {
  type CarriedError,
  type FromWriter,
  flattenBatch,
  type ToWriter,
  unflattenOutcomes,
  type WriterOptions,
} from './writer-protocol.js';

/**
 * Batches sent and not yet answered. Two keep the writer busy: it starts the next batch as soon as
 * one commits, while this thread settles the first one's appends (which make the next appends).
 */
const MAX_BATCHES_IN_FLIGHT = 2;

/** The writer thread could not start, or stopped: nothing more can be written through this store. */
export class StoreWriterStopped extends Error {
  override readonly name = 'StoreWriterStopped';
}

interface PendingAppend {
  readonly append: PreparedAppend;
  readonly resolve: (value: Either<AppendError, AppendResult>) => void;
  readonly reject: (error: Error) => void;
}

const rebuildError = (carried: CarriedError): Error => {
  if (carried.name === 'ConflictingEventIds') return new ConflictingEventIds(carried.message);
  const error = new Error(carried.message);
  error.name = carried.name;
  if (carried.code !== undefined) Object.assign(error, { code: carried.code });
  return error;
};

/**
 * Run from TypeScript sources (tsx, vitest), the writer thread is a .ts file too, and on Node 20 a
 * worker does not inherit a TypeScript loader: it starts as a small script that loads the entry
 * through tsx's API. Built (dist/), it is a plain .js worker.
 */
/** tsx's ESM API module (require.resolve would give its CommonJS twin, which cannot load .ts ESM). */
const tsxEsmApiPath = (): string => {
  const manifestPath = createRequire(import.meta.url).resolve('tsx/package.json');
  const manifest = JSON.parse(readFileSync(manifestPath, 'utf8')) as {
    exports: Record<string, { import?: { default?: string } } | string>;
  };
  const api = manifest.exports['./esm/api'];
  const relative = typeof api === 'object' ? api.import?.default : undefined;
  if (relative === undefined) throw new Error("tsx's package.json names no ESM entry for tsx/esm/api");
  return join(dirname(manifestPath), relative);
};

const startWriter = (workerData: WriterOptions): Worker => {
  const extension = extname(fileURLToPath(import.meta.url));
  const entry = new URL(`./writer-thread${extension}`, import.meta.url).href;
  if (extension !== '.ts') return new Worker(new URL(entry), { workerData });
  const tsxApi = pathToFileURL(tsxEsmApiPath()).href;
  const script = `import(${JSON.stringify(tsxApi)}).then(({ tsImport }) => tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)}))`;
  return new Worker(script, { eval: true, workerData });
};

/**
 * Group commit on a second thread: appends queued during one turn of the event loop go to the
 * writer thread as one batch, committed in one transaction there. At most one batch is in flight;
 * what queues meanwhile (while the writer hashes, inserts and waits for the disk) becomes the next
 * batch, so a slow commit makes batches bigger, not requests slower one by one. Serializing each
 * event (prepareAppend) stays on the caller's thread, at call time, as with the in-thread committer.
 */
export class ThreadCommitter {
  private queue: PendingAppend[] = [];
  private scheduled: NodeJS.Immediate | undefined;
  private readonly inFlight = new Map<number, readonly PendingAppend[]>();
  private worker: Worker | undefined;
  private batches = 0;
  private stopped: Error | undefined;
  private closing: Promise<void> | undefined;
  private whenIdle: (() => void) | undefined;

  constructor(
    private readonly options: WriterOptions,
    private readonly afterCommit: (batch: BatchCommitted) => void,
  ) {}

  enqueue(append: PreparedAppend): Promise<Either<AppendError, AppendResult>> {
    if (this.stopped !== undefined) return Promise.reject(this.stopped);
    return new Promise((resolve, reject) => {
      this.queue.push({ append, resolve, reject });
      this.schedule();
    });
  }

  get pending(): number {
    let inFlight = 0;
    for (const appends of this.inFlight.values()) inFlight += appends.length;
    return this.queue.length + inFlight;
  }

  /** Commits everything queued, then stops the writer thread. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      if (this.scheduled !== undefined) clearImmediate(this.scheduled);
      this.scheduled = undefined;
      while (this.stopped === undefined && (this.inFlight.size > 0 || this.queue.length > 0)) {
        await new Promise<void>((resolve) => {
          this.whenIdle = resolve;
          this.send();
        });
      }
      const worker = this.worker;
      this.stop(new StoreWriterStopped('the event store is closed'));
      if (worker === undefined) return;
      worker.ref();
      await new Promise<void>((resolve) => {
        worker.once('exit', () => resolve());
        worker.postMessage({ kind: 'close' } satisfies ToWriter);
      });
    })();
    return this.closing;
  }

  private start(): Worker {
    const worker = startWriter(this.options);
    worker.on('message', (message: FromWriter) => this.receive(message));
    worker.on('error', (error) =>
      this.stop(new StoreWriterStopped(`the store's writer thread failed: ${error.message}`)),
    );
    worker.on('exit', () => this.stop(new StoreWriterStopped("the store's writer thread stopped")));
    this.worker = worker;
    return worker;
  }

  /** Sends what has queued at the next turn, so that appends made by the callbacks of this one join it. */
  private schedule(): void {
    if (this.closing === undefined) this.scheduled ??= setImmediate(() => this.send());
  }

  private send(): void {
    this.scheduled = undefined;
    if (this.inFlight.size >= MAX_BATCHES_IN_FLIGHT || this.queue.length === 0 || this.stopped !== undefined) return;
    const appends = takeBatch(this.queue);
    this.batches += 1;
    this.inFlight.set(this.batches, appends);
    const worker = this.worker ?? this.start();
    worker.ref();
    worker.postMessage({
      kind: 'commit',
      batch: this.batches,
      appends: flattenBatch(appends.map((pending) => pending.append)),
    } satisfies ToWriter);
  }

  private receive(message: FromWriter): void {
    switch (message.kind) {
      case 'ready':
      case 'closed':
        return;
      case 'broken':
        this.stop(
          new StoreWriterStopped(`the store's writer thread could not open the store: ${message.error.message}`),
        );
        return;
      case 'failed':
      case 'committed': {
        const appends = this.inFlight.get(message.batch);
        if (appends === undefined) return;
        this.inFlight.delete(message.batch);
        let events = 0;
        const outcomes = message.kind === 'committed' ? unflattenOutcomes(message.outcomes) : [];
        appends.forEach((pending, index) => {
          if (message.kind === 'failed') {
            pending.reject(rebuildError(message.error));
            return;
          }
          const outcome = outcomes[index]!;
          if (outcome.settled === 'rejected') {
            pending.reject(rebuildError(outcome.error));
            return;
          }
          if (outcome.value._tag === 'Right') events += pending.append.events.length;
          pending.resolve(outcome.value);
        });
        if (message.kind === 'committed') this.afterCommit({ appends: appends.length, events });
        this.next();
      }
    }
  }

  private next(): void {
    if (this.whenIdle !== undefined) {
      const idle = this.whenIdle;
      this.whenIdle = undefined;
      idle();
      return;
    }
    if (this.queue.length > 0) this.schedule();
    else if (this.inFlight.size === 0) this.worker?.unref();
  }

  /** Rejects everything not yet settled; later appends reject at once. */
  private stop(error: Error): void {
    if (this.stopped !== undefined) return;
    this.stopped = error;
    if (this.scheduled !== undefined) clearImmediate(this.scheduled);
    this.scheduled = undefined;
    const unsettled = [...[...this.inFlight.values()].flat(), ...this.queue];
    this.inFlight.clear();
    this.queue = [];
    for (const pending of unsettled) pending.reject(error);
    const idle = this.whenIdle;
    this.whenIdle = undefined;
    idle?.();
  }
}
