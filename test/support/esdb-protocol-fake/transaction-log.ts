/**
 * The protocol fake's storage: an in-memory transaction log with EventStoreDB's write rules
 * (expected revisions, idempotent event ids) and its position model (a position is the byte
 * offset of the event's record in the log, so positions are strictly increasing but not dense).
 * No gRPC here; the services translate wire messages to and from these calls.
 */

export type WireExpectedRevision =
  | { readonly kind: 'any' }
  | { readonly kind: 'no_stream' }
  | { readonly kind: 'stream_exists' }
  | { readonly kind: 'revision'; readonly revision: bigint };

export interface ProposedEvent {
  /** Lower-case canonical UUID. */
  readonly id: string;
  readonly type: string;
  readonly contentType: string;
  readonly data: Uint8Array;
  readonly customMetadata: Uint8Array;
}

export interface LogRecord extends ProposedEvent {
  readonly stream: string;
  readonly revision: bigint;
  /** Byte offset of this record in the log; commit and prepare position alike (every write commits itself). */
  readonly position: bigint;
  /** Time of the write in 100 ns ticks since the Unix epoch, as the server's `created` metadata carries it. */
  readonly createdTicks: bigint;
}

export type AppendOutcome =
  | {
      readonly kind: 'written' | 'idempotent';
      readonly lastRevision: bigint;
      /** Position of the last event of the write. */
      readonly commitPosition: bigint;
      /** Position of the first event of the write (the implicit transaction's start). */
      readonly preparePosition: bigint;
    }
  | { readonly kind: 'nothing_to_write'; readonly current: bigint | 'no_stream' }
  | { readonly kind: 'wrong_expected_version'; readonly current: bigint | 'no_stream' };

/** Fixed part of a prepare record (header, ids, flags, lengths), so that positions are not dense. */
const RECORD_OVERHEAD_BYTES = 88n;
/** Where the first record lands: the chunk header and epoch records come first in a fresh log. */
const FIRST_RECORD_POSITION = 128n;
const TICKS_PER_MILLISECOND = 10_000n;

const recordSize = (stream: string, event: ProposedEvent): bigint =>
  RECORD_OVERHEAD_BYTES +
  BigInt(Buffer.byteLength(stream) + Buffer.byteLength(event.type) + event.data.length + event.customMetadata.length);

export class TransactionLog {
  readonly #records: LogRecord[] = [];
  readonly #streams = new Map<string, LogRecord[]>();
  /** EventStoreDB keeps recent event ids to recognise a retried write; the fake keeps them all. */
  readonly #recordsById = new Map<string, LogRecord>();
  readonly #appendListeners = new Set<() => void>();
  #writerCheckpoint = FIRST_RECORD_POSITION;

  get records(): readonly LogRecord[] {
    return this.#records;
  }

  /** Position just past the last record: where the next write will land. */
  get writerCheckpoint(): bigint {
    return this.#writerCheckpoint;
  }

  stream(name: string): readonly LogRecord[] | undefined {
    return this.#streams.get(name);
  }

  /** Called after every write, synchronously, once the records are visible to readers. */
  onAppended(listener: () => void): () => void {
    this.#appendListeners.add(listener);
    return () => this.#appendListeners.delete(listener);
  }

  /** Index of the first record whose position is >= `position` (records.length when none). */
  indexAtOrAfter(position: bigint): number {
    let low = 0;
    let high = this.#records.length;
    while (low < high) {
      const middle = (low + high) >>> 1;
      if (this.#records[middle]!.position < position) low = middle + 1;
      else high = middle;
    }
    return low;
  }

  append(stream: string, expected: WireExpectedRevision, events: readonly ProposedEvent[]): AppendOutcome {
    const existing = this.#streams.get(stream);
    const current = existing === undefined ? -1n : BigInt(existing.length - 1);
    const currentOrNoStream = current < 0n ? 'no_stream' : current;
    const wrongExpectedVersion = { kind: 'wrong_expected_version', current: currentOrNoStream } as const;

    if (expected.kind === 'stream_exists' && current < 0n) return wrongExpectedVersion;

    if (expected.kind === 'any' || expected.kind === 'stream_exists') {
      const decision = this.#idempotencyOfAny(stream, events);
      if (decision === 'corrupted') return wrongExpectedVersion;
      if (decision !== 'new') return decision;
      return this.#write(stream, current, events, currentOrNoStream);
    }

    const expectedRevision = expected.kind === 'no_stream' ? -1n : expected.revision;
    if (expectedRevision > current) return wrongExpectedVersion;
    if (expectedRevision < current) {
      return this.#idempotencyAtRevision(stream, expectedRevision, events) ?? wrongExpectedVersion;
    }
    return this.#write(stream, current, events, currentOrNoStream);
  }

  /** With `any`, a write is a retry when all its ids are already in this stream, in order. */
  #idempotencyOfAny(stream: string, events: readonly ProposedEvent[]): AppendOutcome | 'new' | 'corrupted' {
    const found: LogRecord[] = [];
    for (const event of events) {
      const record = this.#recordsById.get(event.id);
      if (record === undefined || record.stream !== stream) return found.length === 0 ? 'new' : 'corrupted';
      found.push(record);
    }
    const first = found[0];
    const last = found.at(-1);
    if (first === undefined || last === undefined) return 'new';
    return {
      kind: 'idempotent',
      lastRevision: last.revision,
      commitPosition: last.position,
      preparePosition: first.position,
    };
  }

  /** With an exact expectation behind the head, a write is a retry when the events after it carry its ids. */
  #idempotencyAtRevision(
    stream: string,
    expectedRevision: bigint,
    events: readonly ProposedEvent[],
  ): AppendOutcome | undefined {
    const records = this.#streams.get(stream) ?? [];
    const matching = events.map((event, offset) => records[Number(expectedRevision) + 1 + offset]?.id === event.id);
    if (events.length === 0 || matching.includes(false)) return undefined;
    const first = records[Number(expectedRevision) + 1]!;
    const last = records[Number(expectedRevision) + events.length]!;
    return {
      kind: 'idempotent',
      lastRevision: last.revision,
      commitPosition: last.position,
      preparePosition: first.position,
    };
  }

  #write(
    stream: string,
    current: bigint,
    events: readonly ProposedEvent[],
    currentOrNoStream: bigint | 'no_stream',
  ): AppendOutcome {
    if (events.length === 0) return { kind: 'nothing_to_write', current: currentOrNoStream };
    const streamRecords = this.#streams.get(stream) ?? [];
    this.#streams.set(stream, streamRecords);
    const createdTicks = BigInt(Date.now()) * TICKS_PER_MILLISECOND;
    const written = events.map((event, offset): LogRecord => {
      const record: LogRecord = {
        ...event,
        stream,
        revision: current + 1n + BigInt(offset),
        position: this.#writerCheckpoint,
        createdTicks,
      };
      this.#writerCheckpoint += recordSize(stream, event);
      this.#records.push(record);
      streamRecords.push(record);
      this.#recordsById.set(event.id, record);
      return record;
    });
    for (const listener of [...this.#appendListeners]) listener();
    return {
      kind: 'written',
      lastRevision: written.at(-1)!.revision,
      commitPosition: written.at(-1)!.position,
      preparePosition: written[0]!.position,
    };
  }
}
