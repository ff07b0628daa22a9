import { type Either, left, right } from 'fp-ts/lib/Either.js';
import { type AppendError, type AppendResult, type ExpectedRevision, wrongExpectedVersion } from '../event-store.js';
import type { PreparedAppend, PreparedEvent } from './validate-append.js';
import type { AppendOutcome } from './write-batch.js';

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

/**
 * What the appends of a batch came to, flattened like FlatBatch, in request order. Per append, a tag
 * and its fields: 0 (written or replayed) nextExpectedRevision, position; 1 (WrongExpectedVersion)
 * stream, expected, actual; 2 (that append alone rejected) error name, message, code ('' for none).
 */
export type FlatOutcomes = (string | number | bigint)[];

export const flattenOutcomes = (outcomes: readonly AppendOutcome[]): FlatOutcomes => {
  const flat: FlatOutcomes = [];
  for (const outcome of outcomes) {
    if (outcome.settled === 'rejected') {
      const carried = carryError(outcome.error);
      flat.push(2, carried.name, carried.message, carried.code ?? '');
    } else if (outcome.value._tag === 'Right') {
      flat.push(0, outcome.value.right.nextExpectedRevision, outcome.value.right.position);
    } else {
      const { stream, expected, actual } = outcome.value.left;
      flat.push(1, stream, expected, actual);
    }
  }
  return flat;
};

/** The outcomes of a FlatOutcomes, errors as CarriedError (rebuilt by the receiver). */
export const unflattenOutcomes = (
  flat: FlatOutcomes,
): (
  | { readonly settled: 'value'; readonly value: Either<AppendError, AppendResult> }
  | { readonly settled: 'rejected'; readonly error: CarriedError }
)[] => {
  const outcomes: ReturnType<typeof unflattenOutcomes> = [];
  let at = 0;
  while (at < flat.length) {
    const tag = flat[at];
    if (tag === 0) {
      outcomes.push({
        settled: 'value',
        value: right({ nextExpectedRevision: flat[at + 1] as bigint, position: flat[at + 2] as bigint }),
      });
      at += 3;
    } else if (tag === 1) {
      const expected = flat[at + 2] as ExpectedRevision;
      const actual = flat[at + 3] as bigint | 'no_stream';
      outcomes.push({ settled: 'value', value: left(wrongExpectedVersion(flat[at + 1] as string, expected, actual)) });
      at += 4;
    } else {
      const code = flat[at + 3] as string;
      outcomes.push({
        settled: 'rejected',
        error: { name: flat[at + 1] as string, message: flat[at + 2] as string, ...(code === '' ? {} : { code }) },
      });
      at += 4;
    }
  }
  return outcomes;
};

/** Writer → main. */
export type FromWriter =
  | { readonly kind: 'ready' }
  /** The batch committed (and, when durable, is on stable storage); outcomes in request order. */
  | { readonly kind: 'committed'; readonly batch: number; readonly outcomes: FlatOutcomes }
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
