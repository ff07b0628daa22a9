import * as E from 'fp-ts/lib/Either.js';
import type { Decider } from '../decider.js';
import type { SecurityEvent } from './events.js';

export const SANDBOX_ESCAPE_ATTEMPT_KIND = 'sandbox_escape_attempt';

export type SecurityCommand = {
  readonly type: 'ReportSecurityIncident';
  readonly data: { readonly kind: string; readonly detail: string; readonly correlationId: string };
};

export interface SecurityState {
  readonly incidents: number;
}

/** Incidents are facts to record, never refused; the consequence (suspension) is the ledger's. */
export const securityDecider: Decider<SecurityCommand, SecurityEvent, SecurityState> = {
  initialState: () => ({ incidents: 0 }),
  evolve: (state) => ({ incidents: state.incidents + 1 }),
  decide: (command) => E.right([{ type: 'SecurityIncidentReported', data: command.data }]),
};
