/**
 * Double entry: every movement of money names the account it leaves and the account it
 * enters. An agent's account is named like its stream; the system bank is the other side of
 * every movement, so the sum over all accounts is always zero.
 */
export type AccountName = string;

export const SYSTEM_BANK_ACCOUNT: AccountName = 'system-bank';

const AGENT_ACCOUNT_PREFIX = 'agent-';

export const agentAccount = (agentId: string): AccountName => AGENT_ACCOUNT_PREFIX + agentId;

/** The agent id an account belongs to, or undefined for the bank (or any non-agent account). */
export const agentIdOfAccount = (account: AccountName): string | undefined =>
  account.startsWith(AGENT_ACCOUNT_PREFIX) ? account.slice(AGENT_ACCOUNT_PREFIX.length) : undefined;
