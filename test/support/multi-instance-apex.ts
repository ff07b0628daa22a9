/**
 * Several `apex serve` processes on one store, each driven by the official MCP SDK client over
 * stdio, and what the test needs to check them: the CLI run as a child process, and an
 * independent recomputation of every agent's account from the raw stored events.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { cliArgs, closeAndWaitForExit, REPO_ROOT } from './apex-process.js';

const run = promisify(execFile);

export interface ApexInstance {
  readonly client: Client;
  readonly stderr: readonly string[];
  close(): Promise<void>;
}

/** `apex serve --store URL` as a child process (from source, through tsx), connected with the SDK client. */
export const startApexInstance = async (options: {
  readonly config: string;
  readonly store: string;
  readonly agent: string;
}): Promise<ApexInstance> => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: cliArgs('serve', '--config', options.config, '--store', options.store, '--agent', options.agent),
    cwd: REPO_ROOT,
    stderr: 'pipe',
    env: { ...process.env, APEX_LOG_LEVEL: 'warn' } as Record<string, string>,
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const client = new Client({ name: 'apex-multi-instance', version: '1.0.0' }, { capabilities: {} });
  await client.connect(transport);
  return { client, stderr, close: () => closeAndWaitForExit(client, transport) };
};

/** `charged` for a call that ran and was paid for, else the APEX condition (or JSON-RPC code) it was refused with. */
export type CallOutcome = 'charged' | 'tool_error' | string;

export const callEcho = async (client: Client, message: string): Promise<CallOutcome> => {
  try {
    const result = await client.callTool({ name: 'echo', arguments: { message } });
    return result.isError === true ? 'tool_error' : 'charged';
  } catch (error) {
    if (error instanceof McpError) {
      const apex = (error.data as { apex?: unknown } | undefined)?.apex;
      return typeof apex === 'string' ? apex : `code ${error.code}`;
    }
    throw error;
  }
};

/** The APEX CLI as a child process; resolves with its output and exit code whatever the code. */
export const runApexCli = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await run(process.execPath, cliArgs(...args), {
      cwd: REPO_ROOT,
      env: { ...process.env, APEX_LOG_LEVEL: 'warn' },
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? '', stderr: failed.stderr ?? '' };
  }
};

/** An event as stored, before any APEX decoding: its stream, type and JSON data. */
export interface RawEvent {
  readonly stream: string;
  readonly type: string;
  readonly data: Record<string, unknown>;
}

/** Decimal APX (at most six decimals, as APEX writes amounts) to integer micro-APX, without APEX's own parser. */
export const microApx = (amount: unknown): bigint => {
  const match = /^(-?)(\d+)(?:\.(\d{1,6}))?$/.exec(String(amount));
  if (match === null) throw new Error(`not an APX amount: ${JSON.stringify(amount)}`);
  const [, sign, whole, fraction = ''] = match;
  const micro = BigInt(whole!) * 1_000_000n + BigInt(fraction.padEnd(6, '0'));
  return sign === '-' ? -micro : micro;
};

export const formatMicroApx = (micro: bigint): string => {
  const negative = micro < 0n;
  const magnitude = negative ? -micro : micro;
  return `${negative ? '-' : ''}${magnitude / 1_000_000n}.${(magnitude % 1_000_000n).toString().padStart(6, '0')}`;
};

export interface RecomputedAccount {
  balance: bigint;
  reserved: bigint;
  debtLimit: bigint;
  credited: bigint;
  charged: bigint;
  penalties: bigint;
  charges: number;
  pipOpen: boolean;
  suspended: boolean;
  /** The lowest balance and the lowest balance + debt limit − reserved seen after any event. */
  lowestBalance: bigint;
  lowestAvailable: bigint;
}

/**
 * Every agent's account, folded from the raw events of its `agent-<id>` stream in log order —
 * written from the event definitions, independently of APEX's deciders and projections.
 */
export const recomputeAccounts = (events: Iterable<RawEvent>): Map<string, RecomputedAccount> => {
  const accounts = new Map<string, RecomputedAccount>();
  for (const { stream, type, data } of events) {
    if (!stream.startsWith('agent-')) continue;
    const agent = stream.slice('agent-'.length);
    let account = accounts.get(agent);
    if (account === undefined) {
      account = {
        balance: 0n,
        reserved: 0n,
        debtLimit: 0n,
        credited: 0n,
        charged: 0n,
        penalties: 0n,
        charges: 0,
        pipOpen: false,
        suspended: false,
        lowestBalance: 0n,
        lowestAvailable: 0n,
      };
      accounts.set(agent, account);
    }
    switch (type) {
      case 'AgentRegistered':
        account.debtLimit = microApx(data.debtLimit);
        break;
      case 'FundsCredited':
        account.balance += microApx(data.amount);
        account.credited += microApx(data.amount);
        break;
      case 'FundsReserved':
        account.reserved += microApx(data.amount);
        break;
      case 'ReservationReleased':
        account.reserved -= microApx(data.amount);
        break;
      case 'ToolCallCharged':
        account.balance -= microApx(data.amount);
        account.reserved -= microApx(data.reservedAmount);
        account.charged += microApx(data.amount);
        account.charges += 1;
        break;
      case 'PenaltyApplied':
        account.balance -= microApx(data.amount);
        account.penalties += microApx(data.amount);
        break;
      case 'PipInitiated':
        account.pipOpen = true;
        break;
      case 'PipCompleted':
        account.pipOpen = false;
        break;
      case 'AgentSuspended':
        account.suspended = true;
        break;
      case 'AgentReinstated':
        account.suspended = false;
        break;
    }
    const available = account.balance + account.debtLimit - account.reserved;
    if (account.balance < account.lowestBalance) account.lowestBalance = account.balance;
    if (available < account.lowestAvailable) account.lowestAvailable = available;
  }
  return accounts;
};
