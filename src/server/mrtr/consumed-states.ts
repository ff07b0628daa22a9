import type { VerifiedRequestState } from './request-state.js';

/** Expired nonces are swept at most this often, so marking a state stays O(1) on average. */
const SWEEP_INTERVAL_MS = 60_000;

/**
 * The nonces of request states already acted on, in this process, each kept until its state
 * expires (after that the state is refused as expired anyway). The fast first check: a replay to
 * the same process is refused without asking the store; the store's RequestStateConsumed
 * (consumption-log.ts) is what several processes behind one endpoint agree on.
 */
export class ConsumedRequestStates {
  private readonly expiresAtByNonce = new Map<string, number>();
  private lastSweep = Number.NEGATIVE_INFINITY;

  /** Marks the state used; false when it was used before (a replay to refuse). */
  consume(state: VerifiedRequestState, now: number): boolean {
    this.sweep(now);
    if (this.expiresAtByNonce.has(state.nonce)) return false;
    this.expiresAtByNonce.set(state.nonce, state.expiresAt);
    return true;
  }

  /** Unmarks a state whose use could not be recorded (the store failed), so a retry is judged by the store. */
  forget(state: VerifiedRequestState): void {
    this.expiresAtByNonce.delete(state.nonce);
  }

  get size(): number {
    return this.expiresAtByNonce.size;
  }

  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_INTERVAL_MS) return;
    this.lastSweep = now;
    for (const [nonce, expiresAt] of this.expiresAtByNonce) {
      if (expiresAt <= now) this.expiresAtByNonce.delete(nonce);
    }
  }
}
