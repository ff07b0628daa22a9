import type { RequestId } from '../domain/event-definition.js';
import { requestKey } from '../domain/session/request-lifetime.js';

/** Why a request ended before its handler did. */
export type Abandonment =
  | { readonly kind: 'timeout'; readonly ttlMs: number; readonly ageMs: number }
  | { readonly kind: 'cancelled'; readonly reason: string }
  | { readonly kind: 'shutdown' };

export class RequestAbandoned extends Error {
  override readonly name = 'RequestAbandoned';
  constructor(readonly abandonment: Abandonment) {
    super(
      abandonment.kind === 'timeout'
        ? `request timed out after ${abandonment.ttlMs} ms`
        : abandonment.kind === 'cancelled'
          ? `request cancelled: ${abandonment.reason}`
          : 'server shutting down',
    );
  }
}

/**
 * A request in flight in this process. Exactly one path records its outcome: the handler finishing,
 * the TTL sweep, a cancellation or shutdown — whichever claims it first; the others stand down.
 */
export class ActiveRequest {
  readonly controller = new AbortController();
  readonly startedAt = performance.now();
  private claimed = false;
  /** Set by a handler holding something to settle (a fund reservation) if the request is abandoned. */
  onAbandoned: ((abandonment: Abandonment) => Promise<void>) | undefined;
  /** Which MCP era the request came in, so a late answer (a timeout) uses that era's error codes. */
  era: 'legacy' | 'modern' = 'legacy';

  constructor(
    readonly key: string,
    readonly id: RequestId,
    readonly method: string,
    readonly correlationId: string,
  ) {}

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get isClaimed(): boolean {
    return this.claimed;
  }

  ageMs(now = performance.now()): number {
    return now - this.startedAt;
  }

  /** True for the one caller that gets to record this request's outcome. */
  tryClaim(): boolean {
    if (this.claimed) return false;
    this.claimed = true;
    return true;
  }

  abandon(abandonment: Abandonment): void {
    this.controller.abort(new RequestAbandoned(abandonment));
  }
}

/** The requests in flight on one connection, by JSON-RPC id (1 and "1" are different ids). */
export class ActiveRequests {
  private readonly byKey = new Map<string, ActiveRequest>();
  private drainedWaiters: (() => void)[] = [];

  /** Undefined when a request with that id is still in flight (JSON-RPC ids must be unique). */
  add(id: RequestId, method: string, correlationId: string): ActiveRequest | undefined {
    const key = requestKey(id);
    if (this.byKey.has(key)) return undefined;
    const request = new ActiveRequest(key, id, method, correlationId);
    this.byKey.set(key, request);
    return request;
  }

  get(id: RequestId): ActiveRequest | undefined {
    return this.byKey.get(requestKey(id));
  }

  delete(request: ActiveRequest): void {
    if (this.byKey.get(request.key) === request) this.byKey.delete(request.key);
    if (this.byKey.size === 0 && this.drainedWaiters.length > 0) {
      for (const resolve of this.drainedWaiters.splice(0)) resolve();
    }
  }

  /** Resolves once no request is in flight. */
  drained(): Promise<void> {
    if (this.byKey.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.drainedWaiters.push(resolve));
  }

  get size(): number {
    return this.byKey.size;
  }

  all(): IterableIterator<ActiveRequest> {
    return this.byKey.values();
  }

  /** Requests older than `ttlMs` that nobody has claimed yet. */
  expired(ttlMs: number, now = performance.now()): ActiveRequest[] {
    const expired: ActiveRequest[] = [];
    for (const request of this.byKey.values()) {
      if (!request.isClaimed && request.ageMs(now) > ttlMs) expired.push(request);
    }
    return expired;
  }
}
