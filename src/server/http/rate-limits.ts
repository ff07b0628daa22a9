import type { RateLimitSettings } from '../config.js';

export type Refusal = { readonly admitted: false; readonly retryAfterMs: number };

export type Admission = { readonly admitted: true } | Refusal;

/** An admitted call holds a slot until `end` is called (exactly once). */
export type CallAdmission = { readonly admitted: true; readonly end: () => void } | Refusal;

const ADMITTED: Admission = { admitted: true };

/**
 * A token bucket: `burst` requests at once, refilled at `ratePerSecond`. A refusal says how long
 * until the next token, which becomes the response's Retry-After.
 */
export class TokenBucket {
  private tokens: number;
  private updatedAt: number;

  constructor(
    private readonly ratePerSecond: number,
    private readonly burst: number,
    now: number,
  ) {
    this.tokens = burst;
    this.updatedAt = now;
  }

  take(now: number): Admission {
    const elapsedSeconds = Math.max(0, now - this.updatedAt) / 1000;
    this.tokens = Math.min(this.burst, this.tokens + elapsedSeconds * this.ratePerSecond);
    this.updatedAt = now;
    if (this.tokens >= 1) {
      this.tokens -= 1;
      return ADMITTED;
    }
    return { admitted: false, retryAfterMs: Math.ceil(((1 - this.tokens) / this.ratePerSecond) * 1000) };
  }
}

/** A refused call over the concurrency cap has no natural wait; a second is a polite hint. */
export const CONCURRENCY_RETRY_AFTER_MS = 1000;

/**
 * Each agent's HTTP limits, across all its sessions: requests per second (every HTTP request to
 * /mcp) and JSON-RPC requests in flight at once.
 */
export class AgentRateLimits {
  private readonly buckets = new Map<string, TokenBucket>();
  private readonly inFlight = new Map<string, number>();

  constructor(
    private readonly settingsOf: (agent: string) => RateLimitSettings,
    private readonly now: () => number = () => performance.now(),
  ) {}

  /** Takes one request from the agent's bucket. */
  admitRequest(agent: string): Admission {
    let bucket = this.buckets.get(agent);
    if (bucket === undefined) {
      const { requestsPerSecond, burst } = this.settingsOf(agent);
      bucket = new TokenBucket(requestsPerSecond, burst, this.now());
      this.buckets.set(agent, bucket);
    }
    return bucket.take(this.now());
  }

  /** Starts a call if the agent is under its cap; the returned function ends it (call it exactly once). */
  startCall(agent: string): CallAdmission {
    const running = this.inFlight.get(agent) ?? 0;
    if (running >= this.settingsOf(agent).maxConcurrentCalls) {
      return { admitted: false, retryAfterMs: CONCURRENCY_RETRY_AFTER_MS };
    }
    this.inFlight.set(agent, running + 1);
    let ended = false;
    return {
      admitted: true,
      end: () => {
        if (ended) return;
        ended = true;
        const left = (this.inFlight.get(agent) ?? 1) - 1;
        if (left === 0) this.inFlight.delete(agent);
        else this.inFlight.set(agent, left);
      },
    };
  }

  callsInFlight(agent: string): number {
    return this.inFlight.get(agent) ?? 0;
  }

  /** Whether the agent may open another session while it holds `open` of them. */
  admitSession(agent: string, open: number): Admission {
    return open < this.settingsOf(agent).maxSessions
      ? ADMITTED
      : { admitted: false, retryAfterMs: CONCURRENCY_RETRY_AFTER_MS };
  }
}
