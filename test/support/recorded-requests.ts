import type { RecordedEvent } from '../../src/store/event-store.js';

/** The correlation id of the request recorded with this JSON-RPC id (the first one, if ids repeat). */
export const correlationOfRequest = (events: readonly RecordedEvent[], requestId: unknown): string | undefined =>
  events.find(
    (event) => event.type === 'RequestReceived' && (event.data as { requestId: unknown }).requestId === requestId,
  )?.metadata.correlationId as string | undefined;

/** What the request with this JSON-RPC id left on `agent`'s ledger, as event types in order. */
export const ledgerOfRequest = (events: readonly RecordedEvent[], requestId: unknown, agent: string): string[] => {
  const correlationId = correlationOfRequest(events, requestId);
  return events
    .filter((event) => event.stream === `agent-${agent}` && event.metadata.correlationId === correlationId)
    .map((event) => event.type);
};
