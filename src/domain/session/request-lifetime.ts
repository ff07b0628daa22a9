import type { RequestId } from '../event-definition.js';

/** The seed's request time to live (§4.1, ttl_seconds=60): older active requests time out. */
export const REQUEST_TTL_MS = 60_000;

/** How often the seed's registry looks for expired requests (§4.1, gc_interval=5). */
export const REQUEST_EXPIRY_SCAN_INTERVAL_MS = 5_000;

/** A map key for a JSON-RPC id that keeps 1 and "1" apart, as JSON-RPC requires. */
export const requestKey = (requestId: RequestId): string =>
  typeof requestId === 'number' ? `n:${requestId}` : `s:${requestId}`;
