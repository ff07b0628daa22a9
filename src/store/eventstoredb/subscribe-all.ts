/**
 * $all as an Observable: a catch-up subscription on the server, which replays what is stored and
 * then turns live on its own, so there is no hand-over between a read and a subscription in which
 * an event could be lost or seen twice. Server events are dropped here; anything at or before the
 * last position delivered is dropped too, so the result never depends on whether the server
 * treats the start position as inclusive.
 *
 * When the node serving it goes away (a leader change, a restart), the client fails the
 * subscription and rediscovers the cluster on the next call; the adapter then subscribes again
 * from the last position it delivered, within the failover window (failover.ts). Positions are
 * the same on every node of a cluster, so the consumer sees every event once, in order.
 */
import type { AllStreamResolvedEvent, EventStoreDBClient } from '@eventstore/db-client';
import { START } from '@eventstore/db-client';
import { Observable } from 'rxjs';
import type { RecordedEvent } from '../event-store.js';
import { EventStoreUnavailable, type FailoverPolicy, FailoverWindow, NO_FAILOVER } from './failover.js';
import { isSystemEvent, toRecordedEvent } from './recorded-event.js';

export const subscribeAll = (
  client: EventStoreDBClient,
  after: bigint = -1n,
  failover: FailoverPolicy = NO_FAILOVER,
): Observable<RecordedEvent> =>
  new Observable<RecordedEvent>((subscriber) => {
    let lastDelivered = after;
    let detachCurrent: (() => void) | undefined;
    // Open from the first failure until a node confirms a new subscription.
    let window: FailoverWindow | undefined;
    let stopped = false;

    const lost = (description: string, cause: unknown): Error =>
      new EventStoreUnavailable(
        `the subscription to $all was cut off and no EventStoreDB node took it again within ${failover.windowMs} ms ` +
          `(${description}); ` +
          (lastDelivered < 0n
            ? 'no event was delivered: subscribe again from the start'
            : `every event up to position ${lastDelivered} was delivered: subscribe again after it`),
        { cause },
      );

    const resubscribe = async (error: unknown): Promise<void> => {
      window ??= new FailoverWindow(failover);
      try {
        await window.retryAfter(error, lost);
      } catch (failure) {
        subscriber.error(failure);
        return;
      }
      if (stopped) return;
      try {
        subscribe();
      } catch (failure) {
        subscriber.error(failure);
      }
    };

    const subscribe = (): void => {
      const subscription = client.subscribeToAll({
        fromPosition: lastDelivered < 0n ? START : { commit: lastDelivered, prepare: lastDelivered },
      });
      const onConfirmation = () => {
        window = undefined;
      };
      const onData = (resolved: AllStreamResolvedEvent) => {
        const event = resolved.event;
        if (event === undefined || isSystemEvent(event) || event.position.commit <= lastDelivered) return;
        try {
          const recorded = toRecordedEvent(event);
          lastDelivered = recorded.position;
          subscriber.next(recorded);
        } catch (error) {
          subscriber.error(error);
        }
      };
      const onError = (error: unknown) => {
        detach();
        void resubscribe(error);
      };
      const onEnd = () => subscriber.complete();
      // Events still buffered in a subscription given up on come again from the next one; a late
      // error from it must not go unhandled.
      let detached = false;
      const detach = () => {
        if (detached) return;
        detached = true;
        subscription
          .removeListener('confirmation', onConfirmation)
          .removeListener('data', onData)
          .removeListener('error', onError)
          .removeListener('end', onEnd)
          .on('error', () => undefined);
        // It rejects when the subscription never got a connection (discovery failed): nothing to cancel.
        subscription.unsubscribe().catch(() => undefined);
      };
      subscription.on('confirmation', onConfirmation).on('data', onData).on('error', onError).on('end', onEnd);
      detachCurrent = detach;
    };

    subscribe();
    return () => {
      stopped = true;
      detachCurrent?.();
    };
  });
