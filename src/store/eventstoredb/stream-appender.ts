/**
 * Appends to one stream, linking each event into the stream's hash chain. The chain needs the
 * head the events follow, so every new write goes to the server expecting that head's exact
 * revision — also when the caller said `any` or `stream_exists` — and two writers can never
 * both extend the same head. For `any`/`stream_exists` a lost race is retried on the new head;
 * for an exact expectation it is the caller's WrongExpectedVersion.
 */
import {
  type AppendExpectedRevision,
  type EventStoreDBClient,
  jsonEvent,
  NO_STREAM,
  WrongExpectedVersionError,
} from '@eventstore/db-client';
import { type Either, left, right } from 'fp-ts/lib/Either.js';
import {
  type AppendError,
  type AppendResult,
  type ExpectedRevision,
  GENESIS_HASH,
  type NewEvent,
  wrongExpectedVersion,
} from '../event-store.js';
import { eventHash } from '../hash-chain.js';
import { type PreparedAppend, type PreparedEvent, prepareAppend } from '../sqlite/validate-append.js';
import { ConflictingEventIds } from '../sqlite/write-batch.js';
import { decideAppend } from './append-decision.js';
import { withChainFields } from './chain-metadata.js';
import {
  AppendOutcomeUnknown,
  DEFAULT_FAILOVER_WINDOW_MS,
  EventStoreUnavailable,
  type FailoverPolicy,
  FailoverWindow,
  transientFailure,
} from './failover.js';
import { headAfter, type KnownHead, readHeadAt, readStreamHead, type StreamHeadCache } from './stream-heads.js';

/** Attempts of an `any`/`stream_exists` append that keeps losing the race for the head to other writers. */
export const MAX_APPEND_ATTEMPTS = 8;

type AppendOutcome = Either<AppendError, AppendResult>;
type SendOutcome =
  | { readonly kind: 'appended'; readonly result: AppendResult }
  | { readonly kind: 'rejected'; readonly actual: bigint | 'no_stream' };

interface LinkedEvent {
  readonly event: ReturnType<typeof jsonEvent>;
  readonly hash: string;
}

/** Hashes exactly the JSON prepared at call time, and sends what was hashed. */
const linkEvents = (stream: string, base: KnownHead, events: readonly PreparedEvent[]): LinkedEvent[] => {
  let prevHash = base === 'no_stream' ? GENESIS_HASH : base.hash;
  let revision = base === 'no_stream' ? 0n : base.revision + 1n;
  return events.map((event): LinkedEvent => {
    const { type, schemaVersion, dataJson, metadataJson } = event;
    const hash = eventHash({ prevHash, stream, revision, type, schemaVersion, dataJson, metadataJson });
    const metadata = withChainFields(JSON.parse(metadataJson), { schemaVersion, prevHash, hash });
    prevHash = hash;
    revision += 1n;
    return { event: jsonEvent({ id: event.id, type, data: JSON.parse(dataJson), metadata }), hash };
  });
};

export class StreamAppender {
  readonly #queues = new Map<string, Promise<void>>();

  constructor(
    private readonly client: EventStoreDBClient,
    private readonly heads: StreamHeadCache,
    private readonly failover: FailoverPolicy = { windowMs: DEFAULT_FAILOVER_WINDOW_MS },
  ) {}

  /**
   * Checks and serializes the append at call time (a caller bug rejects with InvalidAppend);
   * appends from this process to one stream then run one at a time, never racing each other.
   */
  append(stream: string, expected: ExpectedRevision, events: readonly NewEvent[]): Promise<AppendOutcome> {
    let prepared: PreparedAppend;
    try {
      prepared = prepareAppend(stream, expected, events);
    } catch (error) {
      return Promise.reject(error);
    }
    const previous = this.#queues.get(stream) ?? Promise.resolve();
    const result = previous.then(() => this.#append(prepared));
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.#queues.set(stream, settled);
    void settled.then(() => {
      if (this.#queues.get(stream) === settled) this.#queues.delete(stream);
    });
    return result;
  }

  /** Resolves once every append already started has finished. */
  async drain(): Promise<void> {
    await Promise.all(this.#queues.values());
  }

  /** A read the append needs, asked again through a leader change; nothing has been written by it. */
  async #read<T>(window: FailoverWindow, stream: string, read: () => Promise<T>): Promise<T> {
    for (;;) {
      try {
        return await read();
      } catch (error) {
        await window.retryAfter(
          error,
          (description, cause) =>
            new EventStoreUnavailable(
              `the append to ${stream} was not written: reading the stream's head failed, and no EventStoreDB ` +
                `leader answered within ${this.failover.windowMs} ms (${description})`,
              { cause },
            ),
        );
      }
    }
  }

  async #freshHead(window: FailoverWindow, stream: string): Promise<KnownHead> {
    const head = await this.#read(window, stream, () => readStreamHead(this.client, stream));
    this.heads.set(stream, head);
    return head;
  }

  async #append({ stream, expected, events }: PreparedAppend): Promise<AppendOutcome> {
    const window = new FailoverWindow(this.failover);
    for (let attempt = 1; ; attempt += 1) {
      const cached = this.heads.get(stream);
      let head = cached ?? (await this.#freshHead(window, stream));
      let decision = decideAppend(expected, head, events);
      // A remembered head can be behind the server; only a decision to write is safe to take from it.
      if (cached !== undefined && decision.kind !== 'extend_head' && decision.kind !== 'replay') {
        head = await this.#freshHead(window, stream);
        decision = decideAppend(expected, head, events);
      }

      let sent: SendOutcome;
      switch (decision.kind) {
        case 'replay':
          return right(decision.result);
        case 'wrong_expected_version':
          return left(wrongExpectedVersion(stream, expected, decision.actual));
        case 'conflicting_ids':
          throw new ConflictingEventIds(
            `append to ${stream} reuses event ids already stored, but not as one earlier append to this stream`,
          );
        case 'unknown_replay_position':
          throw new Error(`the head of ${stream} was read from the server but lacks positions`);
        case 'extend_head':
          sent = await this.#sendUntilAnswered(window, stream, decision.base, events, true);
          break;
        case 'ask_server': {
          const at = decision.expected;
          const base =
            at === 'no_stream'
              ? 'no_stream'
              : await this.#read(window, stream, () => readHeadAt(this.client, stream, at));
          if (base === undefined)
            return left(wrongExpectedVersion(stream, expected, head === 'no_stream' ? head : head.revision));
          sent = await this.#sendUntilAnswered(window, stream, base, events, false);
          break;
        }
      }
      if (sent.kind === 'appended') return right(sent.result);
      const lostRaceForHead = expected === 'any' || (expected === 'stream_exists' && sent.actual !== 'no_stream');
      if (!lostRaceForHead || attempt >= MAX_APPEND_ATTEMPTS) {
        return left(wrongExpectedVersion(stream, expected, sent.actual));
      }
    }
  }

  /**
   * Sends the write until the server answers it. When an attempt gets no answer (the leader went
   * away, the connection dropped), the very same write — same ids, same hashes, same expected
   * revision — is sent again, to whichever node leads by then: the server writes it if the first
   * attempt was lost, or recognises its ids after `base` and answers with the stored result; the
   * expected revision keeps it from landing anywhere else. So it is written once or not at all.
   */
  async #sendUntilAnswered(
    window: FailoverWindow,
    stream: string,
    base: KnownHead,
    events: readonly PreparedEvent[],
    extendsHead: boolean,
  ): Promise<SendOutcome> {
    let maybeWritten = false;
    const unanswered = (description: string, cause: unknown): Error => {
      const expecting = base === 'no_stream' ? 'no stream' : `revision ${base.revision}`;
      const what = `the append of ${events.length} event(s) to ${stream} (expecting ${expecting})`;
      return maybeWritten
        ? new AppendOutcomeUnknown(
            `${what} got no answer, and no EventStoreDB leader confirmed or refused it within ${this.failover.windowMs} ms ` +
              `(${description}): it may have been written, once — never twice; read the stream before deciding again`,
            { cause },
          )
        : new EventStoreUnavailable(
            `${what} was not written: no EventStoreDB leader took it within ${this.failover.windowMs} ms (${description})`,
            { cause },
          );
    };
    for (;;) {
      try {
        return await this.#send(stream, base, events, extendsHead);
      } catch (error) {
        const failure = transientFailure(error);
        if (failure === undefined && maybeWritten) throw unanswered(String(error), error);
        if (failure === 'no_answer') maybeWritten = true;
        await window.retryAfter(error, unanswered);
      }
    }
  }

  /**
   * `extendsHead` is false when the stream is known to be past `base`: the server can then only
   * answer with the result of a stored append (a retry), and the head is not updated from it.
   */
  async #send(
    stream: string,
    base: KnownHead,
    events: readonly PreparedEvent[],
    extendsHead: boolean,
  ): Promise<SendOutcome> {
    const linked = linkEvents(stream, base, events);
    const expectedRevision: AppendExpectedRevision = base === 'no_stream' ? NO_STREAM : base.revision;
    try {
      // Only the leader may take it: a follower then names the leader (NotLeader) and the client
      // reconnects there, instead of forwarding the write and keeping this connection to a follower.
      const result = await this.client.appendToStream(
        stream,
        linked.map(({ event }) => event),
        { expectedRevision, requiresLeader: true },
      );
      const position = result.position?.commit;
      if (position === undefined) throw new Error(`the append to ${stream} succeeded without reporting its position`);
      const baseRevision = base === 'no_stream' ? -1n : base.revision;
      if (extendsHead && result.nextExpectedRevision === baseRevision + BigInt(events.length)) {
        const written = events.map((event, offset) => ({
          id: event.id,
          revision: baseRevision + 1n + BigInt(offset),
          position: offset === events.length - 1 ? position : undefined,
        }));
        this.heads.set(stream, headAfter(base, written, { hash: linked.at(-1)!.hash, position }));
      } else {
        this.heads.invalidate(stream);
      }
      return { kind: 'appended', result: { nextExpectedRevision: result.nextExpectedRevision, position } };
    } catch (error) {
      // Whether the write happened is unknown (or it was refused): the head must be read again.
      this.heads.invalidate(stream);
      if (error instanceof WrongExpectedVersionError) return { kind: 'rejected', actual: error.actualVersion };
      throw error;
    }
  }
}
