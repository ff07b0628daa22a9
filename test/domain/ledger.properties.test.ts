import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from '../../src/domain/events.js';
import { agentAccount, SYSTEM_BANK_ACCOUNT } from '../../src/domain/ledger/accounts.js';
import type { LedgerCommand } from '../../src/domain/ledger/commands.js';
import {
  type AgentLedgerState,
  decideLedger,
  evolveLedger,
  initialLedgerState,
} from '../../src/domain/ledger/decider.js';
import type { LedgerEvent } from '../../src/domain/ledger/events.js';
import { microApx } from './support/arbitraries.js';

const AGENTS = ['a', 'b', 'c'] as const;
const reservationId = fc.constantFrom('r0', 'r1', 'r2', 'r3', 'r4');
const text = fc.constantFrom('salary', 'timeout', 'review');

/** A command for whichever agent it is sent to (RegisterAgent needs the agent's id). */
type CommandFor = (agentId: string) => LedgerCommand;

const command: fc.Arbitrary<CommandFor> = fc.oneof(
  fc.record({ debtLimit: microApx(50_000_000n), openingBalance: microApx(30_000_000n) }).map(
    ({ debtLimit, openingBalance }): CommandFor =>
      (agentId) => ({
        type: 'RegisterAgent',
        data: { agentId, name: agentId, role: 'r', systemPrompt: '', permissions: [], debtLimit, openingBalance },
      }),
  ),
  fc.record({ amount: microApx(40_000_000n), reason: text }).map(
    (data): CommandFor =>
      () => ({ type: 'CreditFunds', data }),
  ),
  fc.record({ reservationId, amount: microApx(30_000_000n) }).map(
    ({ reservationId, amount }): CommandFor =>
      () => ({ type: 'ReserveFunds', data: { reservationId, tool: 't', amount, correlationId: 'c' } }),
  ),
  fc.record({ reservationId, amount: microApx(40_000_000n), durationMs: fc.nat(5_000) }).map(
    (data): CommandFor =>
      () => ({ type: 'ChargeToolCall', data }),
  ),
  fc.record({ reservationId, reason: text }).map(
    (data): CommandFor =>
      () => ({ type: 'ReleaseReservation', data }),
  ),
  fc.record({ amount: microApx(10_000_000n), reason: text }).map(
    ({ amount, reason }): CommandFor =>
      () => ({ type: 'ApplyPenalty', data: { reason, amount, correlationId: 'c' } }),
  ),
  fc.constant((): LedgerCommand => ({ type: 'ReportSandboxEscape', data: { detail: 'escape' } })),
  fc.constant((): LedgerCommand => ({ type: 'ReinstateAgent', data: { reason: 'review' } })),
);

const steps = fc.array(fc.tuple(fc.constantFrom(...AGENTS), command), { minLength: 10, maxLength: 100, size: 'max' });

const isMovement = (
  event: LedgerEvent,
): event is Extract<LedgerEvent, { type: 'FundsCredited' | 'ToolCallCharged' | 'PenaltyApplied' }> =>
  event.type === 'FundsCredited' || event.type === 'ToolCallCharged' || event.type === 'PenaltyApplied';

describe('the fiscal protocol, over random command sequences across agents', () => {
  it('keeps its invariants after every decision', () => {
    fc.assert(
      fc.property(steps, (sequence) => {
        const states = new Map<string, AgentLedgerState>();
        const accounts = new Map<string, bigint>();
        const pipOpenInLog = new Map<string, boolean>();

        for (const [agentId, commandFor] of sequence) {
          const before = states.get(agentId) ?? initialLedgerState();
          const decision = decideLedger(commandFor(agentId), before);
          if (E.isLeft(decision)) continue;
          let state = before;
          for (const event of decision.right) {
            state = evolveLedger(state, event);
            // (e) every event survives encode → JSON → decode
            const encoded = encodeEvent(event);
            const decoded = decodeEvent(encoded.type, encoded.schemaVersion, JSON.parse(JSON.stringify(encoded.data)));
            expect(decoded).toEqual(E.right(event));
            if (isMovement(event)) {
              // double entry: one side is this agent, the other the bank
              expect([event.data.from, event.data.to].sort()).toEqual(
                [agentAccount(agentId), SYSTEM_BANK_ACCOUNT].sort(),
              );
              accounts.set(event.data.from, (accounts.get(event.data.from) ?? 0n) - event.data.amount);
              accounts.set(event.data.to, (accounts.get(event.data.to) ?? 0n) + event.data.amount);
            }
            // a bankruptcy is declared only below the debt limit
            if (event.type === 'AgentSuspended' && event.data.reason === 'bankrupt') {
              expect(state.balance).toBeLessThan(-state.debtLimit);
            }
            // (d) PIPs alternate: never a second one opened while one is open, never one closed that isn't
            if (event.type === 'PipInitiated') {
              expect(pipOpenInLog.get(agentId) ?? false).toBe(false);
              pipOpenInLog.set(agentId, true);
            }
            if (event.type === 'PipCompleted') {
              expect(pipOpenInLog.get(agentId)).toBe(true);
              pipOpenInLog.set(agentId, false);
            }
          }
          states.set(agentId, state);

          // (c) an admission never lets balance − reserved go below −debtLimit
          if (decision.right.some((event) => event.type === 'FundsReserved')) {
            expect(state.balance - state.reserved).toBeGreaterThanOrEqual(-state.debtLimit);
          }

          // (a) the sum over all accounts, bank included, is zero; each agent's account is its balance
          let sum = 0n;
          for (const balance of accounts.values()) sum += balance;
          expect(sum).toBe(0n);
          for (const [id, agentState] of states) {
            expect(accounts.get(agentAccount(id)) ?? 0n).toBe(agentState.balance);
            // (b) reserved is never negative and is the sum of the open reservations
            expect(agentState.reserved).toBeGreaterThanOrEqual(0n);
            let open = 0n;
            for (const reservation of agentState.reservations.values()) open += reservation.amount;
            expect(agentState.reserved).toBe(open);
            // (d) a PIP is open exactly while the balance is below zero
            expect(agentState.pipOpen).toBe(agentState.balance < 0n);
            // below the debt limit means suspended
            if (agentState.balance < -agentState.debtLimit) expect(agentState.status).toBe('suspended');
          }
        }
      }),
      { numRuns: 200 },
    );
  });
});
