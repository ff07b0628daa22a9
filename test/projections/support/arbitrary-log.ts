import fc from 'fast-check';
import type { DomainEvent } from '../../../src/domain/events.js';
import type { RecordedEvent } from '../../../src/store/event-store.js';
import { domainEvent } from '../../domain/support/arbitraries.js';
import { recordedLog } from './recorded-log.js';

const LEDGER_TYPES = new Set([
  'AgentRegistered',
  'FundsCredited',
  'FundsReserved',
  'ReservationReleased',
  'ToolCallCharged',
  'PenaltyApplied',
  'PipInitiated',
  'PipCompleted',
  'AgentSuspended',
  'AgentReinstated',
]);

const streamFor = (event: DomainEvent, pick: number): string => {
  if (LEDGER_TYPES.has(event.type)) return pick % 2 === 0 ? 'agent-a' : 'agent-b';
  if (event.type === 'SecurityIncidentReported') return 'security-a';
  if (event.type === 'MemoryStored') return 'memory-a';
  return pick % 2 === 0 ? 'session-1' : 'session-2';
};

/**
 * A log of arbitrary (well-typed, not necessarily sensible) events in plausible streams, with
 * non-decreasing timestamps and some agent metadata: folds must take whatever the log holds.
 */
export const arbitraryLog = (maxLength = 120): fc.Arbitrary<RecordedEvent[]> =>
  fc
    .array(
      fc.record({
        event: domainEvent,
        pick: fc.nat(3),
        gapMs: fc.nat(120_000),
        agent: fc.option(fc.constantFrom('a', 'b'), { nil: undefined }),
      }),
      { maxLength, size: 'max' },
    )
    .map((entries) => {
      const log = recordedLog();
      let atMs = Date.parse('2026-11-25T10:00:00.000Z');
      for (const { event, pick, gapMs, agent } of entries) {
        atMs += gapMs;
        log.record(streamFor(event, pick), event, { atMs, ...(agent === undefined ? {} : { agent }) });
      }
      return log.events;
    });
