import { apx, type MicroApx } from '../money.js';

/** The seed's penalty for a request that outlived its TTL (§4.1: 5.0 APX). */
export const REQUEST_TIMEOUT_PENALTY: MicroApx = apx('5');

/** Commands on one agent's ledger (stream `agent-<id>`). Money is micro-APX. */
export type LedgerCommand =
  | {
      readonly type: 'RegisterAgent';
      readonly data: {
        readonly agentId: string;
        readonly name: string;
        readonly role: string;
        readonly systemPrompt: string;
        readonly permissions: readonly string[];
        readonly debtLimit: MicroApx;
        /** Credited from the bank in the same decision, when more than zero. */
        readonly openingBalance?: MicroApx;
      };
    }
  | { readonly type: 'CreditFunds'; readonly data: { readonly amount: MicroApx; readonly reason: string } }
  | {
      readonly type: 'ReserveFunds';
      readonly data: {
        readonly reservationId: string;
        readonly tool: string;
        readonly amount: MicroApx;
        readonly correlationId: string;
      };
    }
  | {
      /** Settles a reservation: releases what was reserved and charges the actual cost in full. */
      readonly type: 'ChargeToolCall';
      readonly data: { readonly reservationId: string; readonly amount: MicroApx; readonly durationMs: number };
    }
  | { readonly type: 'ReleaseReservation'; readonly data: { readonly reservationId: string; readonly reason: string } }
  | {
      readonly type: 'ApplyPenalty';
      readonly data: { readonly reason: string; readonly amount: MicroApx; readonly correlationId: string };
    }
  | { readonly type: 'ReportSandboxEscape'; readonly data: { readonly detail: string } }
  | { readonly type: 'SuspendAgent'; readonly data: { readonly detail: string } }
  | { readonly type: 'ReinstateAgent'; readonly data: { readonly reason: string } };

/** The penalty for a request that timed out, as a command. */
export const requestTimeoutPenalty = (correlationId: string, ttlMs: number): LedgerCommand => ({
  type: 'ApplyPenalty',
  data: { reason: `request timed out after ${ttlMs} ms`, amount: REQUEST_TIMEOUT_PENALTY, correlationId },
});
