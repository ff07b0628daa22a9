import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { promisify } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { ClientCapabilities } from '@modelcontextprotocol/sdk/types.js';
import { AccessLog, generateToken, hashToken, tokenHashPrefix } from '../../src/server/http/index.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { cliArgs, REPO_ROOT } from './apex-process.js';

const execFileAsync = promisify(execFile);

export interface IssuedToken {
  readonly agent: string;
  readonly token: string;
  /** `sha256:…`, as the configuration lists it. */
  readonly hash: string;
  readonly tokenHashPrefix: string;
}

/** Issues a token as `apex token create` does (TokenIssued recorded), without starting a process. */
export const issueToken = async (agent: string, store: string): Promise<IssuedToken> => {
  const token = generateToken();
  const hash = hashToken(token);
  const events = openSqliteStore({ path: store });
  try {
    await new AccessLog(events).record({ type: 'IssueToken', data: { agent, tokenHashPrefix: tokenHashPrefix(hash) } });
  } finally {
    await events.close();
  }
  return { agent, token, hash: `sha256:${hash}`, tokenHashPrefix: tokenHashPrefix(hash) };
};

/** `apex token create AGENT --json` against `store`. */
export const createToken = async (agent: string, store: string): Promise<IssuedToken> => {
  const { stdout } = await execFileAsync(
    process.execPath,
    cliArgs('token', 'create', agent, '--store', `sqlite:${store}`, '--json'),
    { cwd: REPO_ROOT },
  );
  return JSON.parse(stdout) as IssuedToken;
};

export interface HttpApex {
  /** The MCP endpoint, e.g. http://127.0.0.1:41234/mcp. */
  readonly url: string;
  /** The server's origin, e.g. http://127.0.0.1:41234. */
  readonly base: string;
  readonly child: ChildProcess;
  readonly stderr: string[];
  /** Sends SIGTERM (unless it was already sent: a second one kills at once) and resolves with the exit code. */
  readonly stop: () => Promise<number | null>;
}

/**
 * `apex serve --http 127.0.0.1:0` as a child process; resolves once its `listening` log line
 * (JSON on stderr, with the bound URL) has appeared.
 */
export const startHttpApex = async (options: {
  readonly config: string;
  readonly store: string;
  readonly extraArgs?: readonly string[];
}): Promise<HttpApex> => {
  const child = spawn(
    process.execPath,
    cliArgs(
      'serve',
      '--config',
      options.config,
      '--store',
      `sqlite:${options.store}`,
      '--http',
      '127.0.0.1:0',
      ...(options.extraArgs ?? []),
    ),
    { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, APEX_LOG_LEVEL: 'info' } },
  );
  const stderr: string[] = [];
  const exited = once(child, 'exit').then(([code]) => code as number | null);
  const url = await new Promise<string>((resolve, reject) => {
    let pending = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr.push(chunk.toString());
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        try {
          const entry = JSON.parse(line) as { msg?: string; url?: string };
          if (entry.msg === 'listening' && entry.url !== undefined) resolve(entry.url);
        } catch {
          // Not a log line (a CLI error message): kept in stderr for the failure message.
        }
      }
    });
    void exited.then((code) => reject(new Error(`apex exited with ${code} before listening:\n${stderr.join('')}`)));
  });
  return {
    url,
    base: new URL(url).origin,
    child,
    stderr,
    stop: async () => {
      if (child.exitCode === null && !child.killed) child.kill('SIGTERM');
      return exited;
    },
  };
};

/** The official SDK 1.x client over Streamable HTTP, sending `token` as its bearer token. */
export const connectHttpClient = async (
  url: string,
  token: string,
  name = 'apex-http-e2e',
  capabilities: ClientCapabilities = {},
) => {
  const transport = new StreamableHTTPClientTransport(new URL(url), {
    requestInit: { headers: { Authorization: `Bearer ${token}` } },
  });
  const client = new Client({ name, version: '1.0.0' }, { capabilities });
  await client.connect(transport);
  return { client, transport };
};
