import Database from 'better-sqlite3';

/**
 * Every figure the audit reports show, recomputed from an SQLite store's raw rows (read with
 * better-sqlite3, parsed and folded here) without any APEX code: what the scale test checks
 * the reports against. Keep it naive and separate; sharing code with src/ would check nothing.
 */

interface RawEvent {
  readonly position: bigint;
  readonly stream: string;
  readonly type: string;
  // biome-ignore lint/suspicious/noExplicitAny: raw JSON from the table, read field by field below.
  readonly data: any;
  readonly metadata: { readonly timestamp: string; readonly agent?: string; readonly correlationId?: string };
}

/** "12.500000" → 12500000n: an independent decimal parser (not src/domain/money). */
const micro = (amount: string): bigint => {
  const negative = amount.startsWith('-');
  const [whole = '0', fraction = ''] = (negative ? amount.slice(1) : amount).split('.');
  const value = BigInt(whole) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  return negative ? -value : value;
};
const apxText = (value: bigint): string => {
  const magnitude = value < 0n ? -value : value;
  return `${value < 0n ? '-' : ''}${magnitude / 1_000_000n}.${(magnitude % 1_000_000n).toString().padStart(6, '0')}`;
};

interface Account {
  balance: bigint;
  reserved: bigint;
  debtLimit: bigint;
  credited: bigint;
  charged: bigint;
  penalties: bigint;
  lastMovement: bigint | undefined;
  pip: { position: bigint; at: string; balance: bigint } | undefined;
  suspension: { reason: string; at: string } | undefined;
  lines: {
    position: string;
    time: string;
    event: string;
    amount: string;
    balance: string;
    tool: string | null;
    correlationId: string | null;
    reason: string | null;
  }[];
}
interface Request {
  session: string;
  requestId: unknown;
  method: string;
  agent: string | null;
  receivedAt: string;
  position: string;
}
interface Stats {
  calls: number;
  successes: number;
  failures: number;
  denials: number;
  spend: bigint;
  totalDurationMs: number;
}

/** Everything the reports show, folded straight from rows. */
class Recomputation {
  readonly accounts = new Map<string, Account>();
  readonly sessionAgents = new Map<string, string>();
  readonly active = new Map<string, Request>();
  timedOut: (Request & { timedOutAt: string; ttlMs: number; ageMs: number })[] = [];
  readonly pending = new Map<string, string>();
  readonly finished = { total: 0, success: 0, error: 0, cancelled: 0, durationSum: 0 };
  readonly durations: number[] = [];
  readonly methods = new Map<string, { total: number; errors: number }>();
  readonly byTool = new Map<string, Stats>();
  readonly byAgent = new Map<string, Map<string, Stats>>();
  readonly incidents: {
    position: string;
    kind: string;
    agent: string | null;
    amount: string | null;
    balance: string | null;
    correlationId: string | null;
  }[] = [];
  last: RawEvent | undefined;

  private account(agent: string): Account {
    let account = this.accounts.get(agent);
    if (account === undefined) {
      account = {
        balance: 0n,
        reserved: 0n,
        debtLimit: 0n,
        credited: 0n,
        charged: 0n,
        penalties: 0n,
        lastMovement: undefined,
        pip: undefined,
        suspension: undefined,
        lines: [],
      };
      this.accounts.set(agent, account);
    }
    return account;
  }

  private stats(table: Map<string, Stats>, tool: string): Stats {
    let stats = table.get(tool);
    if (stats === undefined) {
      stats = { calls: 0, successes: 0, failures: 0, denials: 0, spend: 0n, totalDurationMs: 0 };
      table.set(tool, stats);
    }
    return stats;
  }

  private toolRows(tool: string, agent: string | undefined): Stats[] {
    const rows = [this.stats(this.byTool, tool)];
    if (agent !== undefined) {
      if (!this.byAgent.has(agent)) this.byAgent.set(agent, new Map());
      rows.push(this.stats(this.byAgent.get(agent)!, tool));
    }
    return rows;
  }

  private finish(key: string, durationMs: number, success: boolean): void {
    const method = this.pending.get(key);
    if (method === undefined) return;
    this.pending.delete(key);
    this.finished.total += 1;
    if (success) this.finished.success += 1;
    else this.finished.error += 1;
    this.finished.durationSum += durationMs;
    this.durations.push(durationMs);
    const counts = this.methods.get(method) ?? { total: 0, errors: 0 };
    counts.total += 1;
    if (!success) counts.errors += 1;
    this.methods.set(method, counts);
  }

  private incident(
    event: RawEvent,
    kind: string,
    agent: string | undefined,
    extra: { amount?: string; balance?: string } = {},
  ) {
    this.incidents.push({
      position: event.position.toString(),
      kind,
      agent: agent ?? null,
      amount: extra.amount === undefined ? null : apxText(micro(extra.amount)),
      balance: extra.balance === undefined ? null : apxText(micro(extra.balance)),
      correlationId: event.metadata.correlationId ?? event.data.correlationId ?? null,
    });
  }

  apply(event: RawEvent): void {
    this.last = event;
    const { data, stream, metadata } = event;
    const ledgerAgent = stream.startsWith('agent-') ? stream.slice('agent-'.length) : undefined;
    const sessionAgent = stream.startsWith('session-') ? (metadata.agent ?? this.sessionAgents.get(stream)) : undefined;
    const requestKey = `${stream} ${typeof data.requestId}:${data.requestId}`;
    const move = (from: string, to: string, amount: bigint) => {
      for (const [accountName, delta] of [
        [from, -amount],
        [to, amount],
      ] as const) {
        if (!accountName.startsWith('agent-')) continue;
        const account = this.account(accountName.slice('agent-'.length));
        account.balance += delta;
        account.lastMovement = event.position;
      }
      if (ledgerAgent === undefined) return;
      const account = this.account(ledgerAgent);
      const signed = (to === stream ? amount : 0n) - (from === stream ? amount : 0n);
      account.lines.push({
        position: event.position.toString(),
        time: metadata.timestamp,
        event: event.type,
        amount: apxText(signed),
        balance: apxText(account.balance),
        tool: event.type === 'ToolCallCharged' ? data.tool : null,
        correlationId: event.type === 'FundsCredited' ? (metadata.correlationId ?? null) : data.correlationId,
        reason: event.type === 'ToolCallCharged' ? null : data.reason,
      });
    };

    switch (event.type) {
      case 'AgentRegistered':
        this.account(ledgerAgent!).debtLimit = micro(data.debtLimit);
        return;
      case 'FundsCredited':
        move(data.from, data.to, micro(data.amount));
        this.account(ledgerAgent!).credited += micro(data.amount);
        return;
      case 'FundsReserved':
        this.account(ledgerAgent!).reserved += micro(data.amount);
        return;
      case 'ReservationReleased':
        this.account(ledgerAgent!).reserved -= micro(data.amount);
        return;
      case 'ToolCallCharged':
        this.account(ledgerAgent!).reserved -= micro(data.reservedAmount);
        move(data.from, data.to, micro(data.amount));
        this.account(ledgerAgent!).charged += micro(data.amount);
        for (const row of this.toolRows(data.tool, ledgerAgent)) row.spend += micro(data.amount);
        return;
      case 'PenaltyApplied':
        move(data.from, data.to, micro(data.amount));
        this.account(ledgerAgent!).penalties += micro(data.amount);
        this.incident(event, 'penalty_applied', ledgerAgent, { amount: data.amount });
        return;
      case 'PipInitiated':
        this.account(ledgerAgent!).pip = {
          position: event.position,
          at: metadata.timestamp,
          balance: micro(data.balance),
        };
        this.incident(event, 'pip_initiated', ledgerAgent, { balance: data.balance });
        return;
      case 'PipCompleted':
        this.account(ledgerAgent!).pip = undefined;
        this.incident(event, 'pip_completed', ledgerAgent, { balance: data.balance });
        return;
      case 'AgentSuspended':
        this.account(ledgerAgent!).suspension = { reason: data.reason, at: metadata.timestamp };
        this.incident(event, 'agent_suspended', ledgerAgent);
        return;
      case 'AgentReinstated':
        this.account(ledgerAgent!).suspension = undefined;
        this.incident(event, 'agent_reinstated', ledgerAgent);
        return;
      case 'SecurityIncidentReported':
        this.incident(event, 'security_incident', stream.slice('security-'.length));
        return;
      case 'SessionStarted':
        this.sessionAgents.set(stream, data.agent);
        return;
      case 'SessionEnded':
        this.sessionAgents.delete(stream);
        for (const [key, request] of this.active) if (request.session === stream) this.active.delete(key);
        for (const key of this.pending.keys()) if (key.startsWith(`${stream} `)) this.pending.delete(key);
        return;
      case 'RequestReceived':
        this.active.set(requestKey, {
          session: stream,
          requestId: data.requestId,
          method: data.method,
          agent: sessionAgent ?? null,
          receivedAt: metadata.timestamp,
          position: event.position.toString(),
        });
        this.pending.set(requestKey, data.method);
        return;
      case 'RequestCompleted':
        this.active.delete(requestKey);
        this.finish(requestKey, data.durationMs, true);
        return;
      case 'RequestFailed':
        this.active.delete(requestKey);
        this.finish(requestKey, data.durationMs, false);
        return;
      case 'RequestCancelled':
        this.active.delete(requestKey);
        if (this.pending.delete(requestKey)) this.finished.cancelled += 1;
        return;
      case 'RequestTimedOut': {
        const request = this.active.get(requestKey);
        if (request !== undefined) {
          this.active.delete(requestKey);
          this.timedOut.push({ ...request, timedOutAt: metadata.timestamp, ttlMs: data.ttlMs, ageMs: data.ageMs });
          this.timedOut = this.timedOut.slice(-100);
        }
        this.finish(requestKey, data.ageMs, false);
        this.incident(event, 'request_timed_out', sessionAgent);
        return;
      }
      case 'ToolCallSucceeded':
      case 'ToolCallFailed':
      case 'ToolCallDenied':
        for (const row of this.toolRows(data.tool, sessionAgent)) {
          row.calls += 1;
          if (event.type === 'ToolCallDenied') {
            row.denials += 1;
            continue;
          }
          if (event.type === 'ToolCallSucceeded') row.successes += 1;
          else row.failures += 1;
          row.totalDurationMs += data.durationMs;
        }
        return;
      default:
        return;
    }
  }

  /** What every report should say at this point, given the moment requests are aged at. */
  snapshot(momentMs: number) {
    const status = (account: Account) =>
      account.suspension !== undefined ? 'suspended' : account.pip !== undefined ? 'pip' : 'active';
    const errorRate = this.finished.total === 0 ? 0 : this.finished.error / this.finished.total;
    const statsJson = (stats: Stats) => ({ ...stats, spend: apxText(stats.spend) });
    const byName = <T>(entries: Iterable<[string, T]>) => [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return {
      position: this.last?.position.toString() ?? null,
      lastTime: this.last?.metadata.timestamp ?? null,
      balances: byName(this.accounts).map(([agent, account]) => ({
        agent,
        balance: apxText(account.balance),
        reserved: apxText(account.reserved),
        debtLimit: apxText(account.debtLimit),
        status: status(account),
        credited: apxText(account.credited),
        charged: apxText(account.charged),
        penalties: apxText(account.penalties),
        lastMovementPosition: account.lastMovement?.toString() ?? '',
      })),
      accounts: new Map(
        [...this.accounts].map(([agent, account]) => [
          agent,
          {
            status: status(account),
            balance: apxText(account.balance),
            pip:
              account.pip === undefined
                ? null
                : {
                    position: account.pip.position.toString(),
                    since: account.pip.at,
                    balance: apxText(account.pip.balance),
                  },
            suspension: account.suspension === undefined ? null : account.suspension,
            lines: [...account.lines],
          },
        ]),
      ),
      requests: {
        active: [...this.active.values()]
          .sort((a, b) => Number(BigInt(a.position) - BigInt(b.position)))
          .map((request) => ({ ...request, ageMs: momentMs - Date.parse(request.receivedAt) })),
        timedOut: [...this.timedOut],
      },
      health: {
        requestsTotal: this.finished.total,
        requestsSuccess: this.finished.success,
        requestsError: this.finished.error,
        requestsCancelled: this.finished.cancelled,
        errorRate,
        meanResponseMs: this.finished.total === 0 ? null : this.finished.durationSum / this.finished.total,
        durations: Float64Array.from(this.durations).sort(),
        // The seed's thresholds: above 10% errors unhealthy, above 5% degraded.
        status: errorRate > 0.1 ? 'unhealthy' : errorRate > 0.05 ? 'degraded' : 'healthy',
        methods: Object.fromEntries(
          byName(this.methods).map(([method, counts]) => [
            method,
            { ...counts, errorRate: counts.errors / counts.total },
          ]),
        ),
      },
      tools: {
        byTool: byName(this.byTool).map(([tool, stats]) => ({ tool, ...statsJson(stats) })),
        byAgent: byName(this.byAgent).flatMap(([agent, tools]) =>
          byName(tools).map(([tool, stats]) => ({ agent, tool, ...statsJson(stats) })),
        ),
      },
      incidents: [...this.incidents],
    };
  }
}

export type Snapshot = ReturnType<Recomputation['snapshot']>;
export type Cut = { readonly position: bigint } | { readonly timeMs: number };

/** One pass over the raw rows, a snapshot at each cut (the longest prefix at or before it, as `--at` means). */
export const recompute = (store: string, cuts: readonly Cut[]): Snapshot[] => {
  const db = new Database(store, { readonly: true });
  db.defaultSafeIntegers(true);
  const recomputation = new Recomputation();
  const snapshots: (Snapshot | undefined)[] = cuts.map(() => undefined);
  const beyond = (cut: Cut, event: RawEvent) =>
    'position' in cut ? event.position > cut.position : Date.parse(event.metadata.timestamp) > cut.timeMs;
  const momentOf = (cut: Cut) =>
    'timeMs' in cut ? cut.timeMs : Date.parse(recomputation.last?.metadata.timestamp ?? '1970-01-01T00:00:00Z');
  try {
    const rows = db.prepare('SELECT position, stream, type, data, metadata FROM events ORDER BY position').iterate();
    for (const row of rows as Iterable<{
      position: bigint;
      stream: string;
      type: string;
      data: string;
      metadata: string;
    }>) {
      const event: RawEvent = {
        position: row.position,
        stream: row.stream,
        type: row.type,
        data: JSON.parse(row.data),
        metadata: JSON.parse(row.metadata),
      };
      cuts.forEach((cut, index) => {
        if (snapshots[index] === undefined && beyond(cut, event))
          snapshots[index] = recomputation.snapshot(momentOf(cut));
      });
      recomputation.apply(event);
    }
  } finally {
    db.close();
  }
  return cuts.map((cut, index) => snapshots[index] ?? recomputation.snapshot(momentOf(cut)));
};

/** The nearest-rank quantile of sorted durations, the value the report's histogram bucket must hold. */
export const exactQuantile = (sorted: Float64Array, q: number): number =>
  sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
