import type { NewEvent } from '../../src/store/event-store.js';

/** A ~300-byte event shaped like a charge: what both append benchmarks write. */
export const benchEvent = (appender: number, seq: number): NewEvent => ({
  type: 'ToolCallCharged',
  schemaVersion: 1,
  data: {
    agent: `agent-${appender}`,
    tool: 'search_documents',
    requestId: `req-${seq}`,
    amount: '12.50',
    balanceAfter: '987.50',
    durationMs: 42,
    note: 'charged at the configured price',
  },
  metadata: {
    timestamp: new Date().toISOString(),
    correlationId: `session-${appender}:${seq}`,
    causationId: `req-${seq}`,
    agent: `agent-${appender}`,
  },
});

/** The p-th percentile of ascending samples. */
export const percentile = (sorted: readonly number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((sorted.length * p) / 100))] ?? Number.NaN;
