import type { Decider } from '../domain/decider.js';
import type { EventStore } from '../store/event-store.js';
import { Aggregate, type EventCodec, type InPlaceEvolution } from './aggregate.js';

/** One aggregate per id (agent, memory…), loaded from its stream on first use and kept warm. */
export class AggregateCache<Command, Event, State> {
  private readonly aggregates = new Map<string, Promise<Aggregate<Command, Event, State>>>();

  constructor(
    private readonly store: EventStore,
    private readonly streamOf: (id: string) => string,
    private readonly decider: Decider<Command, Event, State>,
    private readonly codec: EventCodec<Event>,
    private readonly inPlace?: InPlaceEvolution<Event, State>,
  ) {}

  get(id: string): Promise<Aggregate<Command, Event, State>> {
    let aggregate = this.aggregates.get(id);
    if (aggregate === undefined) {
      aggregate = Aggregate.load(this.store, this.streamOf(id), this.decider, this.codec, this.inPlace);
      // A failed load (store down) is not cached: the next call tries again.
      aggregate.catch(() => this.aggregates.delete(id));
      this.aggregates.set(id, aggregate);
    }
    return aggregate;
  }
}
