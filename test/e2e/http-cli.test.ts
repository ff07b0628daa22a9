import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { cliArgs, REPO_ROOT, readAllEvents, writeConfig } from '../support/apex-process.js';
import { startHttpApex } from '../support/http-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const execFileAsync = promisify(execFile);
const temp = useTempDir('http-cli');

const apex = async (...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> => {
  try {
    const { stdout, stderr } = await execFileAsync(process.execPath, cliArgs(...args), { cwd: REPO_ROOT });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code: number; stdout: string; stderr: string };
    return { code: failed.code, stdout: failed.stdout, stderr: failed.stderr };
  }
};

const AGENTS = { alice: { name: 'Alice', balance: '10', permissions: ['demo'] } };

const INITIALIZE = JSON.stringify({
  jsonrpc: '2.0',
  id: 1,
  method: 'initialize',
  params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'fetch', version: '1' } },
});
const MCP_HEADERS = { 'Content-Type': 'application/json', Accept: 'application/json, text/event-stream' };

/** Every byte SQLite holds for `store` (the database and its WAL). */
const storeBytes = (store: string): string =>
  readdirSync(dirname(store))
    .filter((name) => name.startsWith(basename(store)))
    .map((name) => readFileSync(join(dirname(store), name)).toString('latin1'))
    .join('');

describe('apex token create', () => {
  it('prints a new token once, shows the hash to configure, and records TokenIssued with a hash prefix only', async () => {
    const store = temp.file();
    const config = writeConfig(temp.dir, { agents: AGENTS }, 'token.json');
    const created = await apex('token', 'create', 'alice', '--config', config, '--store', `sqlite:${store}`);
    expect(created.code).toBe(0);
    const token = created.stdout.trim();
    expect(token).toMatch(/^apex_[A-Za-z0-9_-]{43}$/);
    const hash = createHash('sha256').update(token).digest('hex');
    expect(created.stderr).toContain(`"tokens": { "alice": ["sha256:${hash}"] }`);

    const events = await readAllEvents(store);
    expect(events.map((event) => [event.stream, event.type, event.data])).toEqual([
      ['access-alice', 'TokenIssued', { agent: 'alice', tokenHashPrefix: hash.slice(0, 12) }],
    ]);
    expect(storeBytes(store)).not.toContain(token);
    expect(storeBytes(store)).not.toContain(hash);
  });

  it('refuses an agent the configuration does not have (exit 2)', async () => {
    const config = writeConfig(temp.dir, { agents: AGENTS }, 'token-unknown.json');
    const created = await apex('token', 'create', 'zed', '--config', config, '--store', `sqlite:${temp.file()}`);
    expect(created.code).toBe(2);
    expect(created.stderr).toContain('unknown agent "zed"');
    expect(created.stdout).toBe('');
  });
});

describe('apex serve --http start-up checks', () => {
  it('refuses --agent on an address other hosts can reach', async () => {
    const config = writeConfig(temp.dir, { agents: AGENTS }, 'open.json');
    const run = await apex(
      'serve',
      '--config',
      config,
      '--store',
      `sqlite:${temp.file()}`,
      '--http',
      '0.0.0.0:0',
      '--agent',
      'alice',
    );
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('allowed only on a loopback address');
  });

  it('refuses to start when no client could get in (no tokens, no --agent)', async () => {
    const config = writeConfig(temp.dir, { agents: AGENTS }, 'closed.json');
    const run = await apex('serve', '--config', config, '--store', `sqlite:${temp.file()}`, '--http', '127.0.0.1:0');
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('apex token create');
  });

  it('refuses a token listed for an agent that is not configured, and a bad address', async () => {
    const config = writeConfig(
      temp.dir,
      { agents: AGENTS, tokens: { zed: [`sha256:${'a'.repeat(64)}`] } },
      'stray-token.json',
    );
    const stray = await apex('serve', '--config', config, '--store', `sqlite:${temp.file()}`, '--http', '127.0.0.1:0');
    expect(stray.code).toBe(2);
    expect(stray.stderr).toContain('tokens.zed');
    const valid = writeConfig(temp.dir, { agents: AGENTS }, 'valid.json');
    const badAddress = await apex('serve', '--config', valid, '--agent', 'alice', '--http', '127.0.0.1:99999');
    expect(badAddress.code).toBe(2);
    expect(badAddress.stderr).toContain('the port must be');
  });

  it('with --agent on loopback, serves requests without a token as that agent, and still refuses a wrong token', async () => {
    const store = temp.file();
    const server = await startHttpApex({
      config: writeConfig(temp.dir, { agents: AGENTS }, 'loopback.json'),
      store,
      extraArgs: ['--agent', 'alice'],
    });
    try {
      const anonymous = await fetch(server.url, { method: 'POST', headers: MCP_HEADERS, body: INITIALIZE });
      expect(anonymous.status).toBe(200);
      expect(
        ((await anonymous.json()) as { result?: { serverInfo?: { name?: string } } }).result?.serverInfo?.name,
      ).toBe('apex');
      const wrong = await fetch(server.url, {
        method: 'POST',
        headers: { ...MCP_HEADERS, Authorization: 'Bearer apex_wrong' },
        body: INITIALIZE,
      });
      expect(wrong.status).toBe(401);
      await wrong.text();
    } finally {
      expect(await server.stop()).toBe(0);
    }
    const events = await readAllEvents(store);
    expect(events.find((event) => event.type === 'SessionStarted')?.data).toEqual({
      transport: 'http',
      agent: 'alice',
      instance: expect.objectContaining({ pid: expect.any(Number) }),
    });
    expect(events.filter((event) => event.type === 'SessionEnded').map((event) => event.data)).toEqual([
      { reason: 'signal SIGTERM' },
    ]);
  });
});
