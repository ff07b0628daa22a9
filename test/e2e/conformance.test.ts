import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeConfig } from '../support/apex-process.js';
import {
  CONFORMANCE_AGENT,
  CONFORMANCE_CONFIG,
  errorLogEntries,
  failuresOf,
  runSuite,
  SERVER_SCENARIOS_2025_11_25,
  type SuiteRun,
  suiteCli,
} from '../support/conformance-run.js';
import { type HttpApex, startHttpApex } from '../support/http-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

/**
 * The official MCP conformance suite's server scenarios against `apex serve --http` with the
 * `conformance` toolset: the suite runs once, each scenario is then one test. docs/conformance.md
 * explains how to run it by hand and lists what does not pass yet.
 */

const temp = useTempDir('e2e-conformance');

const SUITE_PACKAGE = '@modelcontextprotocol/conformance';
const SUITE_VERSION = '0.1.16';
/** Fetching Node 22 on a cold npx cache, then about thirty scenarios: generous for a 2-core machine. */
const SUITE_TIMEOUT_MS = 240_000;

/** `conformance list --server` of 0.1.16: the active suite, then the two pending scenarios. */
const SCENARIOS = [...SERVER_SCENARIOS_2025_11_25, 'json-schema-2020-12', 'server-sse-polling'] as const;

/** Scenarios that cannot pass yet, and why (docs/conformance.md). A fix makes its `it.fails` fail: move it back. */
const KNOWN_FAILURES: ReadonlyMap<string, string> = new Map<string, string>([]);

describe(`the MCP conformance suite ${SUITE_VERSION} (server scenarios) against apex serve --http`, () => {
  const outDir = join(temp.dir, 'results');
  let apex: HttpApex | undefined;
  let run: SuiteRun = { output: '', results: new Map() };

  beforeAll(async () => {
    apex = await startHttpApex({
      config: writeConfig(temp.dir, CONFORMANCE_CONFIG),
      store: temp.file(),
      extraArgs: ['--agent', CONFORMANCE_AGENT],
    });
    run = await runSuite({
      packageName: SUITE_PACKAGE,
      url: apex.url,
      args: ['--suite', 'all'],
      outDir,
      timeoutMs: SUITE_TIMEOUT_MS,
    });
    if (run.results.size === 0) throw new Error(`the conformance suite produced no results:\n${run.output}`);
  }, SUITE_TIMEOUT_MS + 60_000);

  afterAll(async () => {
    await apex?.stop();
  });

  it(`is version ${SUITE_VERSION}, and ran exactly the scenarios this file expects`, () => {
    expect(suiteCli(SUITE_PACKAGE).version).toBe(SUITE_VERSION);
    expect([...run.results.keys()].sort()).toEqual([...SCENARIOS].sort());
  });

  it.each(SCENARIOS.filter((scenario) => !KNOWN_FAILURES.has(scenario)))('%s passes', (scenario) => {
    expect(failuresOf(run, scenario)).toEqual([]);
  });

  for (const [scenario, reason] of KNOWN_FAILURES) {
    it.fails(`${scenario} passes (known failure: ${reason})`, () => {
      expect(failuresOf(run, scenario)).toEqual([]);
    });
  }

  it('APEX logged no error while serving the suite', () => {
    expect(errorLogEntries(apex?.stderr ?? [])).toEqual([]);
  });
});
