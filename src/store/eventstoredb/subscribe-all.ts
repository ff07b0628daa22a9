/**
 * $all as an Observable: one catch-up subscription on the server, which replays what is stored
 * and then turns live on its own, so there is no hand-over between a read and a subscription in
 * which an event could be lost or seen twice. Server events are dropped here; anything at or
 * before `after` is dropped too, so the result never depends on whether the server treats the
 * start position as inclusive.
 */
import type { AllStreamResolvedEvent, EventStoreDBClient } from '@eventstore/db-client';
import { START } from '@eventstore/db-client';
import { Observable } from 'rxjs';
import type { RecordedEvent } from '../event-store.js';
import { isSystemEvent, toRecordedEvent } from './recorded-event.js';

export const subscribeAll = (client: EventStoreDBClient, after: bigint = -1n): Observable<RecordedEvent> =>
  new Observable<RecordedEvent>((subscriber) => {
    const subscription = client.subscribeToAll({
      fromPosition: after < 0n ? START : { commit: after, prepare: after },
    });
    let lastDelivered = after;
    subscription.on('data', (resolved: AllStreamResolvedEvent) => {
      const event = resolved.event;
      if (event === undefined || isSystemEvent(event) || event.position.commit <= lastDelivered) return;
      try {
        const recorded = toRecordedEvent(event);
        lastDelivered = recorded.position;
        subscriber.next(recorded);
      } catch (error) {
        subscriber.error(error);
      }
    });
    subscription.on('error', (error: unknown) => subscriber.error(error));
    subscription.on('end', () => subscriber.complete());
    return () => {
      subscription.removeAllListeners('data');
      void subscription.unsubscribe();
    };
  });
