import { createHash } from 'node:crypto';
import type { EventStore, RecordedEvent, StreamHead } from './event-store.js';
import { GENESIS_HASH } from './event-store.js';
import { eventHash, serializeMetadata } from './hash-chain.js';

/**
 * - hash_mismatch: the event's fields no longer hash to its stored hash (edited in place);
 * - broken_link: its prevHash is not the hash of the previous event in its stream;
 * - revision_gap: its revision does not follow the previous one in its stream (or stream starts above 0);
 * - unreadable: the engine could not even decode it (damaged JSON).
 */
export type ChainBreakReason = 'hash_mismatch' | 'broken_link' | 'revision_gap' | 'unreadable';

export interface BrokenEvent {
  readonly position: bigint;
  readonly stream: string;
  readonly revision: bigint;
  readonly reason: ChainBreakReason;
}

export interface ChainVerified {
  readonly ok: true;
  /** Events checked. */
  readonly events: number;
  /** Streams seen. */
  readonly streams: number;
  /** Position of the last event checked, or the `after` given (-1n) when there was none. */
  readonly lastPosition: bigint;
  /** headsDigest of the heads as of lastPosition (only over streams seen when `after` was given). */
  readonly digest: string;
}

export interface ChainBroken {
  readonly ok: false;
  readonly firstBroken: BrokenEvent;
  /** Events checked and found sound before the broken one. */
  readonly events: number;
}

/** The chains hold, but the heads differ from an auditor's earlier digest: a tail or a stream is gone. */
export interface DigestMismatch {
  readonly ok: false;
  readonly digestMismatch: { readonly position: bigint; readonly expected: string; readonly actual: string };
  readonly events: number;
}

export type ChainReport = ChainVerified | ChainBroken;

/** What an auditor keeps outside APEX: the heads digest of the log up to a position. */
export interface AuditCheckpoint {
  readonly position: bigint;
  readonly digest: string;
}

export interface VerifyChainOptions {
  /**
   * Verify only events after this position (a previous run covered the rest). The first event
   * seen of each stream is then linked to its predecessor read from the store, not re-verified.
   */
  readonly after?: bigint;
  /** Stop after this position (inclusive), e.g. an audit checkpoint's. */
  readonly upTo?: bigint;
  /** Called every PROGRESS_EVERY events with the number checked so far. */
  readonly onProgress?: (eventsChecked: number) => void;
}

const PROGRESS_EVERY = 10_000;

/** SHA-256 over every (stream, revision, hash), sorted by stream name, one line each. */
export const headsDigest = (heads: Iterable<StreamHead>): string => {
  const sorted = [...heads].sort((a, b) => (a.stream < b.stream ? -1 : a.stream > b.stream ? 1 : 0));
  const digest = createHash('sha256');
  for (const head of sorted) digest.update(`${head.stream}\n${head.revision}\n${head.hash}\n`);
  return digest.digest('hex');
};

const recomputeHash = (event: RecordedEvent): string =>
  eventHash({
    prevHash: event.prevHash,
    stream: event.stream,
    revision: event.revision,
    type: event.type,
    schemaVersion: event.schemaVersion,
    dataJson: JSON.stringify(event.data),
    metadataJson: serializeMetadata(event.metadata),
  });

interface UnreadableEventError {
  readonly name: 'UnreadableStoredEvent';
  readonly position: bigint;
  readonly stream: string;
  readonly revision: bigint;
}

/** Adapters report a row they cannot decode with an error of this name (see sqlite/row-to-event.ts). */
const isUnreadableEventError = (error: unknown): error is UnreadableEventError =>
  error instanceof Error &&
  error.name === 'UnreadableStoredEvent' &&
  typeof (error as { position?: unknown }).position === 'bigint';

/** The event before `revision` in `stream`, for anchoring an incremental verification. */
const predecessorOf = async (
  store: EventStore,
  stream: string,
  revision: bigint,
): Promise<RecordedEvent | undefined> => {
  for await (const event of store.readStream(stream, {
    direction: 'backwards',
    fromRevision: revision - 1n,
    maxCount: 1,
  })) {
    return event;
  }
  return undefined;
};

/**
 * Reads the log once, in position order, and checks every event: its hash recomputes, its revision
 * follows its stream's previous one (from 0), its prevHash is that event's hash (GENESIS_HASH at 0).
 * Memory is one (revision, hash) per stream, whatever the number of events.
 */
export const verifyChain = async (store: EventStore, options: VerifyChainOptions = {}): Promise<ChainReport> => {
  const heads = new Map<string, { revision: bigint; hash: string }>();
  let events = 0;
  let lastPosition = options.after ?? -1n;
  const broken = (event: { position: bigint; stream: string; revision: bigint }, reason: ChainBreakReason) => ({
    ok: false as const,
    firstBroken: { position: event.position, stream: event.stream, revision: event.revision, reason },
    events,
  });

  const iterator = store.readAll({ after: options.after ?? -1n })[Symbol.asyncIterator]();
  try {
    for (;;) {
      let step: IteratorResult<RecordedEvent>;
      try {
        step = await iterator.next();
      } catch (error) {
        if (isUnreadableEventError(error)) return broken(error, 'unreadable');
        throw error;
      }
      if (step.done) break;
      const event = step.value;
      if (options.upTo !== undefined && event.position > options.upTo) break;

      let previous = heads.get(event.stream);
      if (previous === undefined && options.after !== undefined && event.revision > 0n) {
        previous = await predecessorOf(store, event.stream, event.revision);
      }
      const expectedRevision = previous === undefined ? 0n : previous.revision + 1n;
      if (event.revision !== expectedRevision) return broken(event, 'revision_gap');
      if (event.prevHash !== (previous === undefined ? GENESIS_HASH : previous.hash))
        return broken(event, 'broken_link');
      if (recomputeHash(event) !== event.hash) return broken(event, 'hash_mismatch');

      heads.set(event.stream, { revision: event.revision, hash: event.hash });
      lastPosition = event.position;
      events += 1;
      if (options.onProgress !== undefined && events % PROGRESS_EVERY === 0) options.onProgress(events);
    }
  } finally {
    await iterator.return?.();
  }

  options.onProgress?.(events);
  const digest = headsDigest([...heads].map(([stream, head]) => ({ stream, ...head })));
  return { ok: true, events, streams: heads.size, lastPosition, digest };
};

/** Verifies the whole log and returns the checkpoint an auditor should keep elsewhere. */
export const takeAuditCheckpoint = async (
  store: EventStore,
): Promise<ChainBroken | (ChainVerified & { checkpoint: AuditCheckpoint })> => {
  const report = await verifyChain(store);
  if (!report.ok) return report;
  return { ...report, checkpoint: { position: report.lastPosition, digest: report.digest } };
};

/**
 * Verifies the log up to the checkpoint's position and re-derives the heads digest there. A
 * deleted tail or a deleted stream leaves every chain intact but changes the digest.
 */
export const verifyAgainstDigest = async (
  store: EventStore,
  checkpoint: AuditCheckpoint,
  options: Pick<VerifyChainOptions, 'onProgress'> = {},
): Promise<ChainVerified | ChainBroken | DigestMismatch> => {
  const report = await verifyChain(store, { upTo: checkpoint.position, ...options });
  if (!report.ok || report.digest === checkpoint.digest) return report;
  return {
    ok: false,
    digestMismatch: { position: checkpoint.position, expected: checkpoint.digest, actual: report.digest },
    events: report.events,
  };
};
