import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, writeConfig } from '../support/apex-process.js';
import { type HttpApex, startHttpApex } from '../support/http-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

/**
 * The official MCP conformance suite's server scenarios against `apex serve --http` with the
 * `conformance` toolset: the suite runs once, each scenario is then one test. docs/conformance.md
 * explains how to run it by hand and lists what does not pass yet.
 */

const execFileAsync = promisify(execFile);
const temp = useTempDir('e2e-conformance');

const SUITE_PACKAGE = '@modelcontextprotocol/conformance';
const SUITE_VERSION = '0.1.16';
/** Fetching Node 22 on a cold npx cache, then about thirty scenarios: generous for a 2-core machine. */
const SUITE_TIMEOUT_MS = 240_000;

/** `conformance list --server` of 0.1.16: the active suite, then the two pending scenarios. */
const SCENARIOS = [
  'server-initialize',
  'logging-set-level',
  'ping',
  'completion-complete',
  'tools-list',
  'tools-call-simple-text',
  'tools-call-image',
  'tools-call-audio',
  'tools-call-embedded-resource',
  'tools-call-mixed-content',
  'tools-call-with-logging',
  'tools-call-error',
  'tools-call-with-progress',
  'tools-call-sampling',
  'tools-call-elicitation',
  'elicitation-sep1034-defaults',
  'server-sse-multiple-streams',
  'elicitation-sep1330-enums',
  'resources-list',
  'resources-read-text',
  'resources-read-binary',
  'resources-templates-read',
  'resources-subscribe',
  'resources-unsubscribe',
  'prompts-list',
  'prompts-get-simple',
  'prompts-get-with-args',
  'prompts-get-embedded-resource',
  'prompts-get-with-image',
  'dns-rebinding-protection',
  'json-schema-2020-12',
  'server-sse-polling',
] as const;

/** Scenarios that cannot pass yet, and why (docs/conformance.md). A fix makes its `it.fails` fail: move it back. */
const KNOWN_FAILURES: ReadonlyMap<string, string> = new Map<string, string>([]);

const CONFIG = {
  agents: {
    conformance: {
      name: 'Conformance suite',
      balance: '1',
      // Each scenario opens a session and never ends it, and the suite sends its requests back to back.
      rateLimit: { requestsPerSecond: 1000, burst: 1000, maxSessions: 100 },
    },
  },
  toolsets: ['conformance'],
};

interface Check {
  readonly id: string;
  readonly status: string;
  readonly errorMessage?: string;
}

const suiteCli = (): { readonly path: string; readonly version: string } => {
  const manifest = createRequire(import.meta.url).resolve(`${SUITE_PACKAGE}/package.json`);
  const { version, bin } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    version: string;
    bin: { conformance: string };
  };
  return { path: join(dirname(manifest), bin.conformance), version };
};

/** The suite needs Node >= 22 (fs.globSync); on an older Node, npx fetches one for this run only. */
const node22 = (): readonly [string, ...string[]] =>
  Number(process.versions.node.split('.')[0]) >= 22 ? [process.execPath] : ['npx', '-y', '-p', 'node@22', 'node'];

/** `-o DIR` writes one `server-<scenario>-<ISO time with - for : and .>/checks.json` per scenario. */
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

const readResults = (outDir: string): Map<string, Check[]> => {
  const results = new Map<string, Check[]>();
  if (!existsSync(outDir)) return results;
  for (const entry of readdirSync(outDir)) {
    const scenario = RESULT_DIR.exec(entry)?.[1];
    if (scenario === undefined) continue;
    results.set(scenario, JSON.parse(readFileSync(join(outDir, entry, 'checks.json'), 'utf8')) as Check[]);
  }
  return results;
};

/** pino's level number for `error`. */
const PINO_ERROR = 50;

const parseLogLine = (line: string): { level: number; msg?: string } | undefined => {
  try {
    const entry = JSON.parse(line) as { level?: unknown; msg?: string };
    return typeof entry.level === 'number' ? { level: entry.level, msg: entry.msg } : undefined;
  } catch {
    return undefined; // not a log line, or the tail of the stream
  }
};

describe(`the MCP conformance suite ${SUITE_VERSION} (server scenarios) against apex serve --http`, () => {
  const outDir = join(temp.dir, 'results');
  let apex: HttpApex | undefined;
  let results = new Map<string, Check[]>();
  let suiteOutput = '';

  beforeAll(async () => {
    apex = await startHttpApex({
      config: writeConfig(temp.dir, CONFIG),
      store: temp.file(),
      extraArgs: ['--agent', 'conformance'],
    });
    const [command, ...prefix] = node22();
    const args = [...prefix, suiteCli().path, 'server', '--url', apex.url, '--suite', 'all', '-o', outDir];
    try {
      const { stdout, stderr } = await execFileAsync(command, args, {
        cwd: REPO_ROOT,
        timeout: SUITE_TIMEOUT_MS,
        maxBuffer: 64 * 1024 * 1024,
      });
      suiteOutput = stdout + stderr;
    } catch (error) {
      // Exit code 1 means some check failed: the per-scenario tests below say which.
      const failed = error as { stdout?: string; stderr?: string; message: string };
      suiteOutput = `${failed.stdout ?? ''}${failed.stderr ?? ''}\n${failed.message}`;
    }
    results = readResults(outDir);
    if (results.size === 0) throw new Error(`the conformance suite produced no results:\n${suiteOutput}`);
  }, SUITE_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await apex?.stop();
  });

  const failuresOf = (scenario: string): string[] => {
    const checks = results.get(scenario);
    if (checks === undefined) return [`${scenario} did not run:\n${suiteOutput.slice(-4000)}`];
    const failures = checks.filter((check) => check.status === 'FAILURE');
    return [
      ...failures.map((check) => `${check.id}: ${check.errorMessage ?? 'failed'}`),
      ...(checks.some((check) => check.status === 'SUCCESS') ? [] : [`${scenario}: no check succeeded`]),
    ];
  };

  it(`is version ${SUITE_VERSION}, and ran exactly the scenarios this file expects`, () => {
    expect(suiteCli().version).toBe(SUITE_VERSION);
    expect([...results.keys()].sort()).toEqual([...SCENARIOS].sort());
  });

  it.each(SCENARIOS.filter((scenario) => !KNOWN_FAILURES.has(scenario)))('%s passes', (scenario) => {
    expect(failuresOf(scenario)).toEqual([]);
  });

  for (const [scenario, reason] of KNOWN_FAILURES) {
    it.fails(`${scenario} passes (known failure: ${reason})`, () => {
      expect(failuresOf(scenario)).toEqual([]);
    });
  }

  it('APEX logged no error while serving the suite', () => {
    const errors = (apex?.stderr.join('') ?? '').split('\n').flatMap((line) => {
      const entry = parseLogLine(line);
      return entry !== undefined && entry.level >= PINO_ERROR ? [entry] : [];
    });
    expect(errors).toEqual([]);
  });
});
