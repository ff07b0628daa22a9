import type { Either } from 'fp-ts/lib/Either.js';
import { left, right } from 'fp-ts/lib/Either.js';
import type { AppendError, AppendResult, ExpectedRevision } from '../event-store.js';
import { GENESIS_HASH, wrongExpectedVersion } from '../event-store.js';
import { eventHash } from '../hash-chain.js';
import type { Statements, StoredEventLocation, StreamHeadRow } from './statements.js';
import type { PreparedAppend } from './validate-append.js';

/** Some, not all, of an append's event ids are already stored (or stored elsewhere): a caller bug. */
export class ConflictingEventIds extends Error {
  override readonly name = 'ConflictingEventIds';
}

/** What one append in a batch came to: a value for the caller, or a rejection of that append alone. */
export type AppendOutcome =
  | { readonly settled: 'value'; readonly value: Either<AppendError, AppendResult> }
  | { readonly settled: 'rejected'; readonly error: Error };

const expectationHolds = (expected: ExpectedRevision, actual: bigint | 'no_stream'): boolean => {
  switch (expected) {
    case 'any':
      return true;
    case 'no_stream':
      return actual === 'no_stream';
    case 'stream_exists':
      return actual !== 'no_stream';
    default:
      return actual === expected;
  }
};

/**
 * An append whose ids are all stored already, in this stream, consecutively and in the same order,
 * is a retry of an append that succeeded: it gets the original result, whatever `expected` says
 * (EventStoreDB's idempotent write). Returns undefined when none of the ids is stored.
 */
const replayOfStoredAppend = (statements: Statements, append: PreparedAppend): AppendOutcome | undefined => {
  if (!append.events.some((event) => event.idGivenByCaller)) return undefined;
  const stored: (StoredEventLocation | undefined)[] = append.events.map((event) =>
    event.idGivenByCaller ? statements.eventLocationById.get(event.id) : undefined,
  );
  if (stored.every((location) => location === undefined)) return undefined;
  const first = stored[0];
  const isExactReplay =
    first !== undefined &&
    stored.every(
      (location, index) =>
        location !== undefined &&
        location.stream === append.stream &&
        location.revision === first.revision + BigInt(index),
    );
  if (!isExactReplay) {
    return {
      settled: 'rejected',
      error: new ConflictingEventIds(
        `append to ${append.stream} reuses event ids already stored, but not as one earlier append to this stream`,
      ),
    };
  }
  const last = stored[stored.length - 1]!;
  return { settled: 'value', value: right({ nextExpectedRevision: last.revision, position: last.position }) };
};

/** Stream heads as the open transaction sees them: read once per stream, kept current by its appends. */
type BatchHeads = Map<string, StreamHeadRow | undefined>;

/**
 * Writes one append inside the batch's open transaction. The stream head comes from the table the
 * first time a batch touches the stream, then from `heads`, which holds the writes of earlier
 * appends in the same batch (the `streams` row is written once per stream, at the end of the batch).
 */
const writeAppend = (statements: Statements, heads: BatchHeads, append: PreparedAppend): AppendOutcome => {
  const replay = replayOfStoredAppend(statements, append);
  if (replay !== undefined) return replay;

  let head: StreamHeadRow | undefined;
  if (heads.has(append.stream)) head = heads.get(append.stream);
  else {
    head = statements.streamHead.get(append.stream);
    heads.set(append.stream, head);
  }
  const actual = head === undefined ? 'no_stream' : head.revision;
  if (!expectationHolds(append.expected, actual)) {
    return { settled: 'value', value: left(wrongExpectedVersion(append.stream, append.expected, actual)) };
  }

  let prevHash = head === undefined ? GENESIS_HASH : head.hash;
  let revision = head === undefined ? 0n : head.revision + 1n;
  let position = -1n;
  for (const event of append.events) {
    const hash = eventHash({
      prevHash,
      stream: append.stream,
      revision,
      type: event.type,
      schemaVersion: event.schemaVersion,
      dataJson: event.dataJson,
      metadataJson: event.metadataJson,
    });
    const inserted = statements.insertEvent.run(
      event.id,
      append.stream,
      revision,
      event.type,
      event.schemaVersion,
      event.dataJson,
      event.metadataJson,
      prevHash,
      hash,
    );
    position = BigInt(inserted.lastInsertRowid);
    prevHash = hash;
    revision += 1n;
  }
  const lastRevision = revision - 1n;
  heads.set(append.stream, { revision: lastRevision, hash: prevHash });
  return { settled: 'value', value: right({ nextExpectedRevision: lastRevision, position }) };
};

/** Writes every append of a batch; call inside one transaction. Outcomes are in request order. */
export const writeBatch = (statements: Statements, appends: readonly PreparedAppend[]): AppendOutcome[] => {
  const heads: BatchHeads = new Map();
  const written = new Set<string>();
  const outcomes = appends.map((append) => {
    const outcome = writeAppend(statements, heads, append);
    if (outcome.settled === 'value' && outcome.value._tag === 'Right' && heads.get(append.stream) !== undefined) {
      written.add(append.stream);
    }
    return outcome;
  });
  for (const stream of written) {
    const head = heads.get(stream)!;
    statements.upsertStreamHead.run(stream, head.revision, head.hash);
  }
  return outcomes;
};
