import * as E from 'fp-ts/lib/Either.js';
import type { Decider } from '../domain/decider.js';
import { type DomainError, domainError } from '../domain/errors.js';
import type { EventMetadata, EventStore, NewEvent, RecordedEvent } from '../store/event-store.js';

export interface EventCodec<Event> {
  readonly encode: (event: Event) => { readonly type: string; readonly schemaVersion: number; readonly data: unknown };
  /** Decodes a stored event; throws on an event this aggregate cannot read (a bug or a corrupt log). */
  readonly decode: (recorded: RecordedEvent) => Event;
}

type Outcome<Event> = E.Either<DomainError, readonly Event[]>;

interface Submission<Command, Event> {
  readonly command: Command;
  readonly metadata: EventMetadata;
  events: readonly Event[];
  conflicts: number;
  readonly resolve: (outcome: Outcome<Event>) => void;
  readonly reject: (error: unknown) => void;
}

/** After this many lost races in a row a command is refused rather than retried forever. */
export const MAX_CONFLICT_RETRIES = 16;

/**
 * One stream's decider state, kept in memory, written with optimistic concurrency.
 *
 * Commands are decided at once against the *tip* (the state including decisions not yet durable),
 * so concurrent commands never wait for each other's decision. At most one append per stream is in
 * flight; decisions made meanwhile are coalesced into the next append, whose expected revision is the
 * committed head. When another writer (another process) got there first, the append fails with
 * WrongExpectedVersion: the aggregate re-reads what it missed and decides every affected command again
 * against the fresh state. Two writers can therefore never both spend the same funds, and a decision is
 * never committed on top of a state it did not see.
 */
/**
 * A decider's fast path: evolve a state this aggregate owns in place, and copy one. Without it the
 * pure `evolve` is used, which copies the state on every event.
 */
export interface InPlaceEvolution<Event, State> {
  readonly clone: (state: State) => State;
  readonly evolve: (state: State, event: Event) => unknown;
}

/** Committed events are folded into the committed state at most this many at a time, or when it is read. */
const COMMITTED_FOLD_THRESHOLD = 1024;

export class Aggregate<Command, Event, State> {
  private tip: State;
  private committed: State;
  /** Durable events not yet folded into `committed`: the committed state is needed only after a conflict. */
  private committedUnfolded: Event[] = [];
  private committedRevision = -1n;
  private decided: Submission<Command, Event>[] = [];
  private writing = false;
  private flushScheduled = false;
  private reloading: Promise<void> | null = null;

  private constructor(
    private readonly store: EventStore,
    readonly stream: string,
    private readonly decider: Decider<Command, Event, State>,
    private readonly codec: EventCodec<Event>,
    private readonly inPlace: InPlaceEvolution<Event, State> | undefined,
  ) {
    this.committed = decider.initialState();
    this.tip = decider.initialState();
  }

  static async load<Command, Event, State>(
    store: EventStore,
    stream: string,
    decider: Decider<Command, Event, State>,
    codec: EventCodec<Event>,
    inPlace?: InPlaceEvolution<Event, State>,
  ): Promise<Aggregate<Command, Event, State>> {
    const aggregate = new Aggregate(store, stream, decider, codec, inPlace);
    await aggregate.catchUp();
    return aggregate;
  }

  private evolveTip(event: Event): void {
    if (this.inPlace === undefined) this.tip = this.decider.evolve(this.tip, event);
    else this.inPlace.evolve(this.tip, event);
  }

  private foldCommitted(): void {
    for (const event of this.committedUnfolded) {
      if (this.inPlace === undefined) this.committed = this.decider.evolve(this.committed, event);
      else this.inPlace.evolve(this.committed, event);
    }
    this.committedUnfolded = [];
  }

  /** The state every decision so far has produced, durable or about to be. */
  get state(): State {
    return this.tip;
  }

  /** The state as of the last append known to be durable. */
  get committedState(): State {
    this.foldCommitted();
    return this.committed;
  }

  /** Revision of the last durable event of the stream (-1n: no stream yet). */
  get revision(): bigint {
    return this.committedRevision;
  }

  /**
   * Decides `command` and appends its events. Resolves once they are durable, with the events,
   * or with the domain's refusal. Rejects only when the store itself fails.
   */
  execute(command: Command, metadata: EventMetadata): Promise<Outcome<Event>> {
    return new Promise((resolve, reject) =>
      this.submit({ command, metadata, events: [], conflicts: 0, resolve, reject }),
    );
  }

  private submit(submission: Submission<Command, Event>): void {
    if (this.reloading !== null) {
      this.reloading.then(() => this.submit(submission), submission.reject);
      return;
    }
    const decision = this.decider.decide(submission.command, this.tip);
    if (E.isLeft(decision) || decision.right.length === 0) {
      submission.resolve(decision);
      return;
    }
    submission.events = decision.right;
    for (const event of decision.right) this.evolveTip(event);
    this.decided.push(submission);
    this.scheduleWrite();
  }

  /** Decisions made in the same turn (one request's several events, concurrent requests) share one append. */
  private scheduleWrite(): void {
    if (this.writing || this.flushScheduled) return;
    this.flushScheduled = true;
    queueMicrotask(() => {
      this.flushScheduled = false;
      if (!this.writing && this.decided.length > 0) this.writeDecided();
    });
  }

  private writeDecided(): void {
    const batch = this.decided;
    this.decided = [];
    this.writing = true;
    const expected = this.committedRevision < 0n ? 'no_stream' : this.committedRevision;
    const newEvents: NewEvent[] = [];
    for (const submission of batch) {
      for (const event of submission.events)
        newEvents.push({ ...this.codec.encode(event), metadata: submission.metadata });
    }
    this.store.append(this.stream, expected, newEvents).then(
      (result) => {
        this.writing = false;
        if (E.isRight(result)) {
          for (const submission of batch) this.committedUnfolded.push(...submission.events);
          if (this.committedUnfolded.length >= COMMITTED_FOLD_THRESHOLD) this.foldCommitted();
          this.committedRevision = result.right.nextExpectedRevision;
          for (const submission of batch) submission.resolve(E.right(submission.events));
          if (this.decided.length > 0) this.scheduleWrite();
        } else {
          this.redecideAfterReload(batch);
        }
      },
      (error: unknown) => {
        // The store failed: whether the batch landed is unknown, so re-read before deciding anything else.
        this.writing = false;
        for (const submission of batch) submission.reject(error);
        this.redecideAfterReload([]);
      },
    );
  }

  /** Another writer moved the stream: re-read it, then decide the lost and queued commands again, in order. */
  private redecideAfterReload(lost: Submission<Command, Event>[]): void {
    const again = [...lost, ...this.decided];
    this.decided = [];
    this.reloading = this.catchUp().finally(() => {
      this.reloading = null;
    });
    this.reloading.then(
      () => {
        for (const submission of again) {
          submission.conflicts += 1;
          if (submission.conflicts > MAX_CONFLICT_RETRIES) {
            submission.resolve(
              E.left(domainError('AGENT_OVERLOADED', `stream ${this.stream} is contended by other writers; retry`)),
            );
          } else {
            this.submit(submission);
          }
        }
      },
      (error: unknown) => {
        for (const submission of again) submission.reject(error);
      },
    );
  }

  /** Reads what the store holds beyond the committed revision and makes it the tip. */
  private async catchUp(): Promise<void> {
    for await (const recorded of this.store.readStream(this.stream, { fromRevision: this.committedRevision + 1n })) {
      this.committedUnfolded.push(this.codec.decode(recorded));
      this.committedRevision = recorded.revision;
      if (this.committedUnfolded.length >= COMMITTED_FOLD_THRESHOLD) this.foldCommitted();
    }
    this.foldCommitted();
    this.tip = this.inPlace === undefined ? this.committed : this.inPlace.clone(this.committed);
  }
}
