import type { Logger } from 'pino';
import type { HttpSession } from './http-session.js';

/** The idle sweep runs at least this often, so an idle time is honoured within a minute. */
const MAX_SWEEP_INTERVAL_MS = 60_000;

/** The open HTTP sessions of this process, by id; ends the ones left idle too long. */
export class SessionRegistry {
  private readonly sessions = new Map<string, HttpSession>();
  private readonly idleSweep: NodeJS.Timeout;

  constructor(
    private readonly idleLimitMs: number,
    private readonly logger: Logger,
  ) {
    this.idleSweep = setInterval(() => this.endIdle(), Math.min(idleLimitMs, MAX_SWEEP_INTERVAL_MS));
    this.idleSweep.unref();
  }

  get size(): number {
    return this.sessions.size;
  }

  get(id: string): HttpSession | undefined {
    return this.sessions.get(id);
  }

  /** Sessions `agent` holds open. */
  countOf(agent: string): number {
    let count = 0;
    for (const session of this.sessions.values()) if (session.agent === agent) count++;
    return count;
  }

  add(session: HttpSession): void {
    this.sessions.set(session.id, session);
  }

  /** Forgets the session (its id is unknown from now on) and ends it. */
  end(session: HttpSession, reason: string): Promise<void> {
    if (this.sessions.get(session.id) === session) this.sessions.delete(session.id);
    return session.end(reason);
  }

  /** Ends every session, letting in-flight requests finish (up to the grace period). */
  async endAll(reason: string): Promise<void> {
    clearInterval(this.idleSweep);
    const sessions = [...this.sessions.values()];
    this.sessions.clear();
    await Promise.allSettled(sessions.map((session) => session.end(reason)));
  }

  private endIdle(): void {
    const now = performance.now();
    for (const session of [...this.sessions.values()]) {
      if (session.idleMs(now) <= this.idleLimitMs) continue;
      this.end(session, `idle for more than ${this.idleLimitMs} ms`).catch((error: unknown) =>
        this.logger.error({ err: error, session: session.id }, 'could not end an idle session'),
      );
    }
  }
}
