import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { REPO_ROOT } from './apex-process.js';

/**
 * Running the official MCP conformance suite (`@modelcontextprotocol/conformance`, under its own
 * name for 0.1.x or an npm alias for 0.2.x) against a running `apex serve --http`, and reading what
 * it found, one scenario at a time. docs/conformance.md says how to run it by hand.
 */

const execFileAsync = promisify(execFile);

/** The configuration APEX runs the suite with: one agent, fixtures on, limits raised. */
export const CONFORMANCE_CONFIG = {
  agents: {
    conformance: {
      name: 'Conformance suite',
      balance: '1',
      // Each 2025-11-25 scenario opens a session and never ends it, and the suite sends its requests back to back.
      rateLimit: { requestsPerSecond: 1000, burst: 1000, maxSessions: 100 },
    },
  },
  toolsets: ['conformance'],
};

/** The agent `--agent` makes tokenless requests act as (accepted on a loopback address only). */
export const CONFORMANCE_AGENT = 'conformance';

/** The scored server scenarios of revision 2025-11-25, as both suite versions (0.1.16, 0.2.0-alpha.12) name them. */
export const SERVER_SCENARIOS_2025_11_25 = [
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
] as const;

export interface Check {
  readonly id: string;
  readonly status: string;
  readonly errorMessage?: string;
}

/** What one run of the suite left: its console output, and the checks of each scenario that ran. */
export interface SuiteRun {
  readonly output: string;
  readonly results: ReadonlyMap<string, readonly Check[]>;
}

/** The suite's CLI entry point and version, as installed under `packageName` (an npm alias works). */
export const suiteCli = (packageName: string): { readonly path: string; readonly version: string } => {
  const manifest = createRequire(import.meta.url).resolve(`${packageName}/package.json`);
  const { version, bin } = JSON.parse(readFileSync(manifest, 'utf8')) as {
    version: string;
    bin: { conformance: string };
  };
  return { path: join(dirname(manifest), bin.conformance), version };
};

/** The suite needs Node >= 22 (fs.globSync); on an older Node, npx fetches one for this run only. */
export const node22 = (): readonly [string, ...string[]] =>
  Number(process.versions.node.split('.')[0]) >= 22 ? [process.execPath] : ['npx', '-y', '-p', 'node@22', 'node'];

/** `-o DIR` writes one `server-<scenario>-<ISO time with - for : and .>/checks.json` per scenario. */
const RESULT_DIR = /^server-(.+)-\d{4}-\d{2}-\d{2}T\d{2}-\d{2}-\d{2}-\d{3}Z$/;

const escapeRegExp = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/**
 * A scenario that threw leaves its directory without checks.json and says why on the console
 * (0.2.x: `Failed to run scenario <name>: <error>`); it is read as one failed check.
 */
const crashOf = (scenario: string, output: string): Check => {
  const line = new RegExp(`Failed to run scenario ${escapeRegExp(scenario)}: (.*)`).exec(output)?.[1];
  return {
    id: scenario,
    status: 'FAILURE',
    errorMessage: `the scenario stopped before recording any check: ${line ?? 'no reason printed'}`,
  };
};

const readResults = (outDir: string, output: string): Map<string, readonly Check[]> => {
  const results = new Map<string, readonly Check[]>();
  if (!existsSync(outDir)) return results;
  for (const entry of readdirSync(outDir)) {
    const scenario = RESULT_DIR.exec(entry)?.[1];
    if (scenario === undefined) continue;
    const checksFile = join(outDir, entry, 'checks.json');
    results.set(
      scenario,
      existsSync(checksFile) ? (JSON.parse(readFileSync(checksFile, 'utf8')) as Check[]) : [crashOf(scenario, output)],
    );
  }
  return results;
};

/**
 * Runs `conformance server --url URL ARGS… -o OUT_DIR` from `packageName` and reads its results.
 * A non-zero exit (some scored check failed) is no error here: the per-scenario tests say which.
 * A run cut off at `timeoutMs` keeps the scenarios it finished; the others read as not run.
 */
export const runSuite = async (options: {
  readonly packageName: string;
  readonly url: string;
  readonly args: readonly string[];
  readonly outDir: string;
  readonly timeoutMs: number;
}): Promise<SuiteRun> => {
  const [command, ...prefix] = node22();
  const args = [
    ...prefix,
    suiteCli(options.packageName).path,
    'server',
    '--url',
    options.url,
    ...options.args,
    '-o',
    options.outDir,
  ];
  let output: string;
  try {
    const { stdout, stderr } = await execFileAsync(command, args, {
      cwd: REPO_ROOT,
      timeout: options.timeoutMs,
      maxBuffer: 64 * 1024 * 1024,
    });
    output = stdout + stderr;
  } catch (error) {
    const failed = error as { stdout?: string; stderr?: string; message: string; killed?: boolean };
    const cutOff = failed.killed === true ? `\nthe suite was stopped after ${options.timeoutMs} ms` : '';
    output = `${failed.stdout ?? ''}${failed.stderr ?? ''}\n${failed.message}${cutOff}`;
  }
  return { output, results: readResults(options.outDir, output) };
};

/** Checks every 0.2.x scenario carries (every message the server sent matched the schema): no evidence by itself. */
const HARNESS_CHECK_IDS: ReadonlySet<string> = new Set(['wire-schema-valid']);

/**
 * Why a scenario does not pass: each FAILURE check, or that none of the scenario's own checks
 * succeeded (all skipped, only warnings, or it did not run). Empty when it passes.
 */
export const failuresOf = (run: SuiteRun, scenario: string): string[] => {
  const checks = run.results.get(scenario);
  if (checks === undefined) return [`${scenario} did not run:\n${run.output.slice(-4000)}`];
  const failures = checks.filter((check) => check.status === 'FAILURE');
  const own = checks.filter((check) => !HARNESS_CHECK_IDS.has(check.id));
  const succeeded = own.some((check) => check.status === 'SUCCESS');
  return [
    ...failures.map((check) => `${check.id}: ${check.errorMessage ?? 'failed'}`),
    ...(failures.length > 0 || succeeded
      ? []
      : [
          `${scenario}: none of its own checks succeeded (${own.map((check) => `${check.id} ${check.status}`).join(', ')})`,
        ]),
  ];
};

/** One line on a scenario for a report: `pass`, `pass; warned: id`, `fail: id, id`, `did not run`. */
export const verdictOf = (run: SuiteRun, scenario: string): string => {
  const checks = run.results.get(scenario);
  if (checks === undefined) return 'did not run';
  const idsWith = (status: string): string =>
    checks
      .filter((check) => check.status === status)
      .map((check) => check.id)
      .join(', ');
  const warned = idsWith('WARNING');
  if (failuresOf(run, scenario).length === 0) return warned === '' ? 'pass' : `pass; warned: ${warned}`;
  const failed = idsWith('FAILURE');
  return `fail: ${failed === '' ? 'no check of its own succeeded' : failed}${warned === '' ? '' : `; warned: ${warned}`}`;
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

/** The entries at level `error` or above among APEX's JSON log lines on stderr. */
export const errorLogEntries = (stderr: readonly string[]): { level: number; msg?: string }[] =>
  stderr
    .join('')
    .split('\n')
    .flatMap((line) => {
      const entry = parseLogLine(line);
      return entry !== undefined && entry.level >= PINO_ERROR ? [entry] : [];
    });
