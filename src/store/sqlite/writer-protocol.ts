import type { Either } from 'fp-ts/lib/Either.js';
import type { AppendError, AppendResult } from '../event-store.js';
import type { PreparedAppend, PreparedEvent } from './validate-append.js';

/**
 * Messages between the store (main thread) and its writer thread (writer-thread.ts). Both sides are
 * this module's code in one process, so the types are the contract; no codec is needed.
 */

/** workerData of the writer thread. */
export interface WriterOptions {
  readonly path: string;
  readonly busyTimeoutMs: number;
  /** 'durable': a batch is answered only after an fdatasync of the WAL that started after its COMMIT. */
  readonly durable: boolean;
}

/**
 * A batch of appends flattened into one array of strings, numbers and bigints: cloning one flat array
 * between threads costs far less than cloning an object per append and per event. Per append:
 * stream, expected revision, event count; then per event: id, id given by the caller (1/0), type,
 * schema version, data JSON, metadata JSON.
 */
export type FlatBatch = (string | number | bigint)[];

export const flattenBatch = (appends: readonly PreparedAppend[]): FlatBatch => {
  const flat: FlatBatch = [];
  for (const append of appends) {
    flat.push(append.stream, append.expected, append.events.length);
    for (const event of append.events) {
      flat.push(
        event.id,
        event.idGivenByCaller ? 1 : 0,
        event.type,
        event.schemaVersion,
        event.dataJson,
        event.metadataJson,
      );
    }
  }
  return flat;
};

export const unflattenBatch = (flat: FlatBatch): PreparedAppend[] => {
  const appends: PreparedAppend[] = [];
  let at = 0;
  while (at < flat.length) {
    const stream = flat[at] as string;
    const expected = flat[at + 1] as PreparedAppend['expected'];
    const count = flat[at + 2] as number;
    at += 3;
    const events: PreparedEvent[] = [];
    for (let index = 0; index < count; index++, at += 6) {
      events.push({
        id: flat[at] as string,
        idGivenByCaller: flat[at + 1] === 1,
        type: flat[at + 2] as string,
        schemaVersion: flat[at + 3] as number,
        dataJson: flat[at + 4] as string,
        metadataJson: flat[at + 5] as string,
      });
    }
    appends.push({ stream, expected, events });
  }
  return appends;
};

/** Main → writer: commit these appends in one transaction (or close). */
export type ToWriter =
  | { readonly kind: 'commit'; readonly batch: number; readonly appends: FlatBatch }
  | { readonly kind: 'close' };

/** An error crossing the thread boundary: its class is lost in transit, so its name travels with it. */
export interface CarriedError {
  readonly name: string;
  readonly message: string;
  readonly code?: string;
}

/** What one append came to, as the writer reports it. */
export type CarriedOutcome =
  | { readonly settled: 'value'; readonly value: Either<AppendError, AppendResult> }
  | { readonly settled: 'rejected'; readonly error: CarriedError };

/** Writer → main. */
export type FromWriter =
  | { readonly kind: 'ready' }
  /** The batch committed (and, when durable, is on stable storage); outcomes in request order. */
  | { readonly kind: 'committed'; readonly batch: number; readonly outcomes: readonly CarriedOutcome[] }
  /** The whole transaction failed: every append of the batch rejects with this error. */
  | { readonly kind: 'failed'; readonly batch: number; readonly error: CarriedError }
  /** Opening the connection failed: the store cannot write. */
  | { readonly kind: 'broken'; readonly error: CarriedError }
  | { readonly kind: 'closed' };

export const carryError = (error: unknown): CarriedError => {
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return { name: error.name, message: error.message, ...(typeof code === 'string' ? { code } : {}) };
  }
  return { name: 'Error', message: String(error) };
};
