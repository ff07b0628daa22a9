/**
 * The NDJSON export format (`apex export`, `apex import`), see docs/adr/0009-export-and-replay.md.
 *
 *   {"kind":"header",…}            format, version, hash rule, source, exported-at, filters
 *   {"kind":"event",…}             one per event, in global position order: the full envelope
 *   {"kind":"head",…}              one per stream, by stream name: its anchor and its last event
 *   {"kind":"trailer",…}           counts, the heads digest, the SHA-256 of every line above
 *
 * Each line is exactly JSON.stringify of its object. `verifyExport` checks a file with nothing but
 * node:crypto and the hash rule (`eventHash`, `headsDigest`): no store, no APEX runtime.
 */
import { createHash } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { type EventMetadata, GENESIS_HASH, type NewEvent, type RecordedEvent } from './event-store.js';
import { eventHash } from './hash-chain.js';
import { headsDigest } from './verify.js';

export const EXPORT_FORMAT = 'apex-export';
export const EXPORT_FORMAT_VERSION = 1;
/** ADR 0003's per-stream chain; a new rule would get a new name here. */
export const EXPORT_HASH_RULE = 'apex-chain-v1';

// ---------------------------------------------------------------------------------------------
// The format, as io-ts codecs (for `apex import`, which decodes at this boundary).

const DecimalBigint = new t.Type<bigint, string, unknown>(
  'DecimalBigint',
  (u): u is bigint => typeof u === 'bigint',
  (u, context) => (typeof u === 'string' && /^(0|[1-9]\d*)$/.test(u) ? t.success(BigInt(u)) : t.failure(u, context)),
  (value) => value.toString(),
);

const Sha256Hex = t.refinement(t.string, (s) => /^[0-9a-f]{64}$/.test(s), 'Sha256Hex');
const SchemaVersion = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'SchemaVersion');
const Count = t.refinement(t.number, (n) => Number.isSafeInteger(n) && n >= 0, 'Count');

export const ExportFilters = t.partial({
  streams: t.array(t.string),
  agent: t.string,
  since: t.string,
  until: t.string,
});
export type ExportFilters = t.TypeOf<typeof ExportFilters>;

export const ExportHeader = t.type({
  kind: t.literal('header'),
  format: t.literal(EXPORT_FORMAT),
  version: t.literal(EXPORT_FORMAT_VERSION),
  hashRule: t.literal(EXPORT_HASH_RULE),
  /** The store it came from, credentials removed. */
  source: t.string,
  exportedAt: t.string,
  /** True when any filter was given: streams may start past revision 0 (anchored) or be missing. */
  partial: t.boolean,
  filters: ExportFilters,
});
export type ExportHeader = t.TypeOf<typeof ExportHeader>;

export const ExportedEvent = t.type({
  kind: t.literal('event'),
  id: t.string,
  stream: t.string,
  revision: DecimalBigint,
  position: DecimalBigint,
  type: t.string,
  schemaVersion: SchemaVersion,
  data: t.unknown,
  metadata: t.intersection([t.UnknownRecord, t.type({ timestamp: t.string })]),
  prevHash: Sha256Hex,
  hash: Sha256Hex,
});
export type ExportedEvent = t.TypeOf<typeof ExportedEvent>;

const Anchor = t.union([t.null, t.type({ revision: DecimalBigint, hash: Sha256Hex })]);

export const ExportedHead = t.type({
  kind: t.literal('head'),
  stream: t.string,
  events: Count,
  /** The event just before the first exported one (null: the stream starts at revision 0). */
  anchor: Anchor,
  revision: DecimalBigint,
  hash: Sha256Hex,
});
export type ExportedHead = t.TypeOf<typeof ExportedHead>;

export const ExportTrailer = t.type({
  kind: t.literal('trailer'),
  events: Count,
  streams: Count,
  headsDigest: Sha256Hex,
  /** SHA-256 (hex) of every line before this one, each followed by "\n". */
  linesSha256: Sha256Hex,
});
export type ExportTrailer = t.TypeOf<typeof ExportTrailer>;

export const ExportLine = t.union([ExportHeader, ExportedEvent, ExportedHead, ExportTrailer]);
export type ExportLine = t.TypeOf<typeof ExportLine>;

/** Decodes one line; Left names what is wrong with it. */
export const decodeExportLine = (line: string): E.Either<string, ExportLine> => {
  let parsed: unknown;
  try {
    parsed = JSON.parse(line);
  } catch {
    return E.left('not JSON');
  }
  const decoded = ExportLine.decode(parsed);
  if (E.isRight(decoded)) return decoded;
  const kind = (parsed as { kind?: unknown } | null)?.kind;
  return E.left(`not a valid ${typeof kind === 'string' ? `"${kind}" line` : 'export line'}`);
};

/** The event as it is appended to another store: same id, data and metadata, so the same hash. */
export const toNewEvent = (event: ExportedEvent): NewEvent => ({
  id: event.id,
  type: event.type,
  schemaVersion: event.schemaVersion,
  data: event.data,
  metadata: event.metadata as EventMetadata,
});

// ---------------------------------------------------------------------------------------------
// Writing.

interface StreamSlice {
  events: number;
  anchor: { readonly revision: bigint; readonly hash: string } | null;
  revision: bigint;
  hash: string;
}

/** Produces the lines of one export, in order; keeps one summary per stream and the running lines digest. */
export class ExportEncoder {
  readonly #streams = new Map<string, StreamSlice>();
  readonly #lines = createHash('sha256');
  #events = 0;

  constructor(private readonly header: Omit<ExportHeader, 'kind' | 'format' | 'version' | 'hashRule'>) {}

  #emit(value: unknown): string {
    const line = JSON.stringify(value);
    this.#lines.update(line).update('\n');
    return line;
  }

  headerLine(): string {
    return this.#emit({
      kind: 'header',
      format: EXPORT_FORMAT,
      version: EXPORT_FORMAT_VERSION,
      hashRule: EXPORT_HASH_RULE,
      ...this.header,
    });
  }

  eventLine(event: RecordedEvent): string {
    const slice = this.#streams.get(event.stream);
    if (slice === undefined) {
      this.#streams.set(event.stream, {
        events: 1,
        anchor: event.revision === 0n ? null : { revision: event.revision - 1n, hash: event.prevHash },
        revision: event.revision,
        hash: event.hash,
      });
    } else {
      slice.events += 1;
      slice.revision = event.revision;
      slice.hash = event.hash;
    }
    this.#events += 1;
    return this.#emit({
      kind: 'event',
      id: event.id,
      stream: event.stream,
      revision: event.revision.toString(),
      position: event.position.toString(),
      type: event.type,
      schemaVersion: event.schemaVersion,
      data: event.data,
      metadata: event.metadata,
      prevHash: event.prevHash,
      hash: event.hash,
    });
  }

  /** The head lines (by stream name) and the trailer line. */
  finishLines(): string[] {
    const names = [...this.#streams.keys()].sort(compareNames);
    const lines = names.map((stream) => {
      const slice = this.#streams.get(stream)!;
      return this.#emit({
        kind: 'head',
        stream,
        events: slice.events,
        anchor: slice.anchor === null ? null : { revision: slice.anchor.revision.toString(), hash: slice.anchor.hash },
        revision: slice.revision.toString(),
        hash: slice.hash,
      });
    });
    const digest = headsDigest(
      names.map((stream) => ({
        stream,
        revision: this.#streams.get(stream)!.revision,
        hash: this.#streams.get(stream)!.hash,
      })),
    );
    const trailer = {
      kind: 'trailer',
      events: this.#events,
      streams: names.length,
      headsDigest: digest,
      linesSha256: this.#lines.digest('hex'),
    };
    lines.push(JSON.stringify(trailer));
    return lines;
  }
}

/** Stream names are ASCII (validated), so code-unit order is byte order in any language. */
const compareNames = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

// ---------------------------------------------------------------------------------------------
// Verifying, with nothing but node:crypto and the hash rule.

/**
 * - malformed: not JSON, not canonical (JSON.stringify of its own parse), or missing fields;
 * - unsupported: another format, version or hash rule;
 * - out_of_place: a line of the wrong kind where it stands (no header first, events after heads, …);
 * - position_order: positions do not strictly increase;
 * - revision_gap / broken_link / hash_mismatch: as in `apex verify`;
 * - heads_mismatch: a head line disagrees with the events, or a stream lacks one;
 * - trailer_mismatch: the trailer's counts or heads digest disagree;
 * - lines_digest_mismatch: some line before the trailer was changed (linesSha256);
 * - truncated: the trailer is missing.
 */
export type ExportProblem =
  | 'malformed'
  | 'unsupported'
  | 'out_of_place'
  | 'position_order'
  | 'revision_gap'
  | 'broken_link'
  | 'hash_mismatch'
  | 'heads_mismatch'
  | 'trailer_mismatch'
  | 'lines_digest_mismatch'
  | 'truncated';

export interface ExportBroken {
  readonly ok: false;
  /** 1-based line number (the line after the last one for `truncated`). */
  readonly line: number;
  readonly problem: ExportProblem;
  readonly detail: string;
  /** The event at fault, when the problem is one event's. */
  readonly event?: {
    readonly id: string;
    readonly stream: string;
    readonly revision: string;
    readonly position: string;
  };
}

export interface StreamAnchor {
  readonly stream: string;
  readonly revision: bigint;
  readonly hash: string;
}

export interface ExportVerified {
  readonly ok: true;
  readonly events: number;
  readonly streams: number;
  readonly partial: boolean;
  readonly filters: Readonly<Record<string, unknown>>;
  readonly source: string;
  readonly exportedAt: string;
  /** headsDigest over the last exported event of every stream (equals `apex verify`'s for a full export). */
  readonly headsDigest: string;
  /**
   * Streams whose slice starts past revision 0. Their first event links to this (revision, hash);
   * compare it with a trusted earlier head (an earlier export, an auditor's record) to tie the slice
   * to the log.
   */
  readonly anchors: readonly StreamAnchor[];
}

export type ExportReport = ExportVerified | ExportBroken;

interface StreamState {
  readonly firstRevision: bigint;
  readonly firstPrevHash: string;
  events: number;
  revision: bigint;
  hash: string;
}

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isDecimal = (value: unknown): value is string => typeof value === 'string' && /^(0|[1-9]\d*)$/.test(value);
const isHash = (value: unknown): value is string => typeof value === 'string' && /^[0-9a-f]{64}$/.test(value);
const isCount = (value: unknown): value is number => Number.isSafeInteger(value) && (value as number) >= 0;

/** Checks an export one line at a time; memory is one entry per stream. */
export class ExportVerifier {
  #lineNumber = 0;
  #phase: 'header' | 'events' | 'heads' | 'done' = 'header';
  #partial = false;
  #header: Json = {};
  #lastPosition = -1n;
  #events = 0;
  readonly #streams = new Map<string, StreamState>();
  #headsSeen = 0;
  #lastHeadName: string | undefined;
  readonly #lines = createHash('sha256');
  #failure: ExportBroken | undefined;
  #result: ExportVerified | undefined;

  /** Feeds the next line (without its "\n"); returns the first problem once there is one. */
  push(line: string): ExportBroken | undefined {
    if (this.#failure !== undefined) return this.#failure;
    this.#lineNumber += 1;
    if (this.#phase === 'done') {
      if (line === '') return undefined;
      return this.#fail('out_of_place', 'content after the trailer');
    }
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      return this.#fail('malformed', 'not JSON');
    }
    // Canonical lines make every byte count: no change, however small, leaves a line equivalent.
    if (JSON.stringify(value) !== line)
      return this.#fail('malformed', 'not canonical JSON (as JSON.stringify writes it)');
    if (!isObject(value)) return this.#fail('malformed', 'not a JSON object');

    const kind = value.kind;
    if (this.#phase === 'header') {
      if (kind !== 'header') return this.#fail('out_of_place', 'the first line must be the header');
      return this.#onHeader(value, line);
    }
    if (kind === 'event' && this.#phase === 'events') return this.#onEvent(value, line);
    if (kind === 'head' && (this.#phase === 'events' || this.#phase === 'heads')) return this.#onHead(value, line);
    if (kind === 'trailer') return this.#onTrailer(value);
    return this.#fail('out_of_place', `a "${String(kind)}" line cannot stand here`);
  }

  /** The verdict once every line was pushed. */
  finish(): ExportReport {
    if (this.#failure !== undefined) return this.#failure;
    if (this.#result === undefined) {
      this.#lineNumber += 1;
      return this.#fail('truncated', 'the file ends before its trailer line');
    }
    return this.#result;
  }

  #fail(problem: ExportProblem, detail: string, event?: Json): ExportBroken {
    this.#failure = {
      ok: false,
      line: this.#lineNumber,
      problem,
      detail,
      ...(event === undefined
        ? {}
        : {
            event: {
              id: String(event.id),
              stream: String(event.stream),
              revision: String(event.revision),
              position: String(event.position),
            },
          }),
    };
    return this.#failure;
  }

  #onHeader(header: Json, line: string): ExportBroken | undefined {
    if (header.format !== EXPORT_FORMAT || header.version !== EXPORT_FORMAT_VERSION) {
      return this.#fail(
        'unsupported',
        `format ${JSON.stringify(header.format)} version ${JSON.stringify(header.version)}; this verifier reads ${EXPORT_FORMAT} version ${EXPORT_FORMAT_VERSION}`,
      );
    }
    if (header.hashRule !== EXPORT_HASH_RULE) {
      return this.#fail(
        'unsupported',
        `hash rule ${JSON.stringify(header.hashRule)}; this verifier knows ${EXPORT_HASH_RULE}`,
      );
    }
    if (typeof header.partial !== 'boolean' || !isObject(header.filters)) {
      return this.#fail('malformed', 'the header needs "partial" (boolean) and "filters" (object)');
    }
    this.#partial = header.partial;
    this.#header = header;
    this.#phase = 'events';
    this.#lines.update(line).update('\n');
    return undefined;
  }

  #onEvent(event: Json, line: string): ExportBroken | undefined {
    const { id, stream, revision, position, type, schemaVersion, data, metadata, prevHash, hash } = event;
    if (
      typeof id !== 'string' ||
      typeof stream !== 'string' ||
      !isDecimal(revision) ||
      !isDecimal(position) ||
      typeof type !== 'string' ||
      !isCount(schemaVersion) ||
      data === undefined ||
      !isObject(metadata) ||
      !isHash(prevHash) ||
      !isHash(hash)
    ) {
      return this.#fail(
        'malformed',
        'an event line needs id, stream, revision, position, type, schemaVersion, data, metadata, prevHash, hash',
        event,
      );
    }
    const at = BigInt(position);
    if (at <= this.#lastPosition) {
      return this.#fail('position_order', `position ${position} does not follow ${this.#lastPosition}`, event);
    }
    const rev = BigInt(revision);
    const previous = this.#streams.get(stream);
    if (previous === undefined) {
      if (rev === 0n ? prevHash !== GENESIS_HASH : !this.#partial) {
        return rev === 0n
          ? this.#fail('broken_link', 'revision 0 must link to the genesis hash (64 zeros)', event)
          : this.#fail('revision_gap', `a full export must start ${stream} at revision 0, not ${revision}`, event);
      }
    } else {
      if (rev !== previous.revision + 1n) {
        return this.#fail(
          'revision_gap',
          `revision ${revision} does not follow ${previous.revision} in ${stream}`,
          event,
        );
      }
      if (prevHash !== previous.hash) {
        return this.#fail('broken_link', `prevHash is not the hash of ${stream} revision ${previous.revision}`, event);
      }
    }
    const recomputed = eventHash({
      prevHash,
      stream,
      revision: rev,
      type,
      schemaVersion,
      dataJson: JSON.stringify(data),
      metadataJson: JSON.stringify(metadata),
    });
    if (recomputed !== hash) return this.#fail('hash_mismatch', 'the event no longer hashes to its hash', event);

    if (previous === undefined) {
      this.#streams.set(stream, { firstRevision: rev, firstPrevHash: prevHash, events: 1, revision: rev, hash });
    } else {
      previous.events += 1;
      previous.revision = rev;
      previous.hash = hash;
    }
    this.#lastPosition = at;
    this.#events += 1;
    this.#lines.update(line).update('\n');
    return undefined;
  }

  #onHead(head: Json, line: string): ExportBroken | undefined {
    this.#phase = 'heads';
    const { stream, events, anchor, revision, hash } = head;
    if (typeof stream !== 'string' || !isCount(events) || !isDecimal(revision) || !isHash(hash)) {
      return this.#fail('malformed', 'a head line needs stream, events, anchor, revision, hash');
    }
    if (this.#lastHeadName !== undefined && !(this.#lastHeadName < stream)) {
      return this.#fail(
        'out_of_place',
        `head lines must be sorted by stream name: ${stream} after ${this.#lastHeadName}`,
      );
    }
    this.#lastHeadName = stream;
    const state = this.#streams.get(stream);
    if (state === undefined) return this.#fail('heads_mismatch', `a head for ${stream}, which has no exported event`);
    const expectedAnchor =
      state.firstRevision === 0n
        ? null
        : { revision: (state.firstRevision - 1n).toString(), hash: state.firstPrevHash };
    if (
      events !== state.events ||
      revision !== state.revision.toString() ||
      hash !== state.hash ||
      JSON.stringify(anchor) !== JSON.stringify(expectedAnchor)
    ) {
      return this.#fail(
        'heads_mismatch',
        `the head line of ${stream} says ${events} events to revision ${revision}, anchor ${JSON.stringify(anchor)}; the events say ${state.events} to revision ${state.revision}, anchor ${JSON.stringify(expectedAnchor)}`,
      );
    }
    this.#headsSeen += 1;
    this.#lines.update(line).update('\n');
    return undefined;
  }

  #onTrailer(trailer: Json): ExportBroken | undefined {
    const { events, streams, headsDigest: digest, linesSha256 } = trailer;
    if (!isCount(events) || !isCount(streams) || !isHash(digest) || !isHash(linesSha256)) {
      return this.#fail('malformed', 'the trailer needs events, streams, headsDigest, linesSha256');
    }
    if (this.#headsSeen !== this.#streams.size) {
      return this.#fail(
        'heads_mismatch',
        `${this.#streams.size} streams were exported but ${this.#headsSeen} head lines given`,
      );
    }
    const names = [...this.#streams.keys()].sort(compareNames);
    const actualDigest = headsDigest(
      names.map((stream) => ({
        stream,
        revision: this.#streams.get(stream)!.revision,
        hash: this.#streams.get(stream)!.hash,
      })),
    );
    if (events !== this.#events || streams !== this.#streams.size || digest !== actualDigest) {
      return this.#fail(
        'trailer_mismatch',
        `the trailer says ${events} events, ${streams} streams, heads digest ${digest}; the file holds ${this.#events} events, ${this.#streams.size} streams, heads digest ${actualDigest}`,
      );
    }
    const actualLines = this.#lines.digest('hex');
    if (linesSha256 !== actualLines) {
      return this.#fail(
        'lines_digest_mismatch',
        `linesSha256 is ${linesSha256} but the lines above hash to ${actualLines}`,
      );
    }
    this.#phase = 'done';
    const anchors = names.flatMap((stream): StreamAnchor[] => {
      const state = this.#streams.get(stream)!;
      return state.firstRevision === 0n
        ? []
        : [{ stream, revision: state.firstRevision - 1n, hash: state.firstPrevHash }];
    });
    this.#result = {
      ok: true,
      events: this.#events,
      streams: this.#streams.size,
      partial: this.#partial,
      filters: this.#header.filters as Json,
      source: String(this.#header.source),
      exportedAt: String(this.#header.exportedAt),
      headsDigest: actualDigest,
      anchors,
    };
    return undefined;
  }
}

/** Verifies an export given as its lines (e.g. `text.split('\n')`). */
export const verifyExport = (lines: Iterable<string>): ExportReport => {
  const verifier = new ExportVerifier();
  for (const line of lines) if (verifier.push(line) !== undefined) break;
  return verifier.finish();
};

/** The same over lines read from a file or a pipe (e.g. node:readline). */
export const verifyExportLines = async (lines: AsyncIterable<string>): Promise<ExportReport> => {
  const verifier = new ExportVerifier();
  for await (const line of lines) if (verifier.push(line) !== undefined) break;
  return verifier.finish();
};

/** One line saying what is wrong, for people. */
export const describeExportProblem = (broken: ExportBroken): string =>
  `line ${broken.line}: ${broken.problem}: ${broken.detail}` +
  (broken.event === undefined
    ? ''
    : ` (event ${broken.event.id}, ${broken.event.stream} revision ${broken.event.revision}, position ${broken.event.position})`);
