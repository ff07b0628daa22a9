import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';

const execFileAsync = promisify(execFile);

export const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const CLI_ENTRY = join(REPO_ROOT, 'src/cli/main.ts');

/** Arguments that run the CLI from source (tsx), so tests never run a stale build. */
export const cliArgs = (...args: string[]): string[] => ['--import', 'tsx', CLI_ENTRY, ...args];

export const writeConfig = (dir: string, config: unknown, name = 'apex.config.json'): string => {
  const path = join(dir, name);
  writeFileSync(path, JSON.stringify(config, null, 2));
  return path;
};

/** The official SDK 1.x client, connected to `apex serve` running as a child process over real stdio. */
export const connectSdkClient = async (options: {
  config: string;
  store: string;
  agent: string;
  capabilities?: ClientCapabilities;
}) => {
  const transport = new StdioClientTransport({
    command: process.execPath,
    args: cliArgs('serve', '--config', options.config, '--store', `sqlite:${options.store}`, '--agent', options.agent),
    cwd: REPO_ROOT,
    stderr: 'pipe',
    env: { ...process.env, APEX_LOG_LEVEL: process.env.APEX_TEST_LOG_LEVEL ?? 'warn' } as Record<string, string>,
  });
  const stderr: string[] = [];
  transport.stderr?.on('data', (chunk: Buffer) => stderr.push(chunk.toString()));
  const client = new Client({ name: 'apex-e2e', version: '1.0.0' }, { capabilities: options.capabilities ?? {} });
  await client.connect(transport);
  return { client, transport, stderr };
};

/** Every event of a SQLite store, in log order (opened after the server has exited). */
export const readAllEvents = async (path: string): Promise<RecordedEvent[]> => {
  const store = openSqliteStore({ path });
  try {
    const events: RecordedEvent[] = [];
    for await (const event of store.readAll()) events.push(event);
    return events;
  } finally {
    await store.close();
  }
};

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Closes the client (which ends the server's stdin) and waits until the server process has exited. */
export const closeAndWaitForExit = async (client: Client, transport: StdioClientTransport): Promise<void> => {
  const pid = transport.pid;
  await client.close();
  while (pid !== null && isAlive(pid)) await new Promise((resolve) => setTimeout(resolve, 20));
};

export interface CliRun {
  readonly code: number;
  readonly stdout: string;
  readonly stderr: string;
}

/** Runs `apex ARGS…` from source and collects its exit code and output (never throws on a non-zero exit). */
export const runApex = async (...args: string[]): Promise<CliRun> => {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, cliArgs(...args), {
      cwd: REPO_ROOT,
      maxBuffer: 64 * 1024 * 1024,
    });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
};
