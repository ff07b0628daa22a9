import { asyncScheduler, from, groupBy, mergeMap, type Subscription, throttleTime } from 'rxjs';
import type { EventStore, RecordedEvent } from '../store/event-store.js';
import { streamCategory } from '../store/stream-name.js';

/** A subscribed resource that changes on every request (health) is announced at most this often. */
export const RESOURCE_UPDATE_THROTTLE_MS = 250;

type Notify = (method: string, params: Record<string, unknown>) => void;

/** The resources whose content an event changes. */
export const resourcesChangedBy = (event: RecordedEvent): string[] => {
  const category = streamCategory(event.stream);
  const id = event.stream.slice(category.length + 1);
  switch (category) {
    case 'agent':
      return [`payroll://ledger/${id}`, 'payroll://system/bank'];
    case 'memory':
      return [`memory://context/${id}`];
    case 'session':
      return ['apex://health', 'apex://metrics'];
    default:
      return [];
  }
};

/**
 * resources/subscribe across all connections of this process, fed by the store's live feed — so a
 * change written by another APEX process on the same store is announced too. The feed starts with
 * the first subscription, from the log's head at that moment.
 */
export class Subscriptions {
  private readonly subscribers = new Map<string, { notify: Notify; uris: Set<string> }>();
  private feed: Subscription | undefined;

  constructor(
    private readonly store: EventStore,
    private readonly onError: (error: unknown) => void,
  ) {}

  subscribe(sessionId: string, uri: string, notify: Notify): void {
    let subscriber = this.subscribers.get(sessionId);
    if (subscriber === undefined) {
      subscriber = { notify, uris: new Set() };
      this.subscribers.set(sessionId, subscriber);
    }
    subscriber.uris.add(uri);
    void this.startFeed();
  }

  unsubscribe(sessionId: string, uri: string): void {
    this.subscribers.get(sessionId)?.uris.delete(uri);
  }

  dropSession(sessionId: string): void {
    this.subscribers.delete(sessionId);
  }

  stop(): void {
    this.feed?.unsubscribe();
    this.feed = undefined;
  }

  private startFeed(): Promise<void> | undefined {
    if (this.feed !== undefined) return;
    this.feed = from(this.store.headPosition())
      .pipe(
        mergeMap((head) => this.store.subscribeAll(head)),
        mergeMap((event) => resourcesChangedBy(event)),
        groupBy((uri) => uri),
        mergeMap((sameUri) =>
          sameUri.pipe(throttleTime(RESOURCE_UPDATE_THROTTLE_MS, asyncScheduler, { leading: true, trailing: true })),
        ),
      )
      .subscribe({
        next: (uri) => {
          for (const subscriber of this.subscribers.values()) {
            if (subscriber.uris.has(uri)) subscriber.notify('notifications/resources/updated', { uri });
          }
        },
        error: (error: unknown) => {
          this.feed = undefined;
          this.onError(error);
        },
      });
  }
}
