#!/usr/bin/env node
import { Command, type CommanderError, InvalidArgumentError } from 'commander';
import { SERVER_VERSION } from '../server/version.js';
import { DEFAULT_STORE_URL, InvalidStoreUrl } from '../store/open-store.js';
import { CliError } from './cli-error.js';
import type { EventsFormat, EventsOptions } from './events.js';
import type { ExportOptions } from './export.js';
import type { ImportOptions } from './import.js';
import type { ReplayFormat, ReplayOptions } from './replay.js';
import type { ReportFormat, ReportKind, ReportOptions } from './report.js';
import type { TokenCreateOptions } from './token.js';

// Each command's code is loaded when that command runs: `apex report` need not load the server.

const formatOption = (value: string): ReportFormat => {
  if (value === 'table' || value === 'json' || value === 'csv') return value;
  throw new InvalidArgumentError('use table, json or csv');
};

/** Commander exits 1 on a usage error; our scripts' contract is 2 for usage, 1 for a failed check. */
const exitTwoOnUsageError = (error: CommanderError): void => {
  if (error.exitCode !== 0) process.exit(2);
};

const collect = (value: string, previous: string[]): string[] => [...previous, value];

const program = new Command()
  .name('apex')
  .description('APEX: an auditable MCP server. Every request, tool call and charge is a hash-chained event.')
  .version(SERVER_VERSION)
  .showHelpAfterError();

program
  .command('serve')
  .description(
    'Serve MCP on stdin/stdout for one agent, or with --http over Streamable HTTP for every agent with a token; logs go to stderr.',
  )
  .option(
    '-c, --config <file>',
    'configuration file (agents, tools, toolsets, limits) [env: APEX_CONFIG]',
    process.env.APEX_CONFIG,
  )
  .option(
    '-s, --store <url>',
    'event store: sqlite:PATH, sqlite::memory:, esdb://… or kurrentdb://… [env: APEX_STORE]',
    process.env.APEX_STORE ?? DEFAULT_STORE_URL,
  )
  .option(
    '-a, --agent <id>',
    'the agent this process acts for (default: the only configured agent); with --http, the agent of requests without a token (loopback only) [env: APEX_AGENT]',
    process.env.APEX_AGENT,
  )
  .option(
    '--http <host:port>',
    'serve MCP over Streamable HTTP at http://HOST:PORT/mcp (host defaults to 127.0.0.1; port 0 picks one) [env: APEX_HTTP]',
    process.env.APEX_HTTP,
  )
  .addHelpText(
    'after',
    `
Examples:
  apex serve --config examples/apex.config.json --agent alice --store sqlite:./apex-data/events.db
  apex serve --config apex.config.json --http 127.0.0.1:8080      # bearer tokens from the config's "tokens"`,
  )
  .action(async (options: { config?: string; store: string; agent?: string; http?: string }) => {
    const { http, ...rest } = options;
    if (http === undefined) await (await import('./serve.js')).serve(rest);
    else await (await import('./serve-http.js')).serveHttp({ ...rest, http });
  });

program
  .command('token')
  .description('Bearer tokens for apex serve --http.')
  .exitOverride(exitTwoOnUsageError)
  .command('create <agent>')
  .description(
    'Create a bearer token for AGENT: prints it once (stdout), records TokenIssued (hash prefix only) and shows the hash to add to the configuration.',
  )
  .option('-c, --config <file>', 'check that AGENT is configured here [env: APEX_CONFIG]', process.env.APEX_CONFIG)
  .option('-s, --store <url>', 'event store URL [env: APEX_STORE]', process.env.APEX_STORE ?? DEFAULT_STORE_URL)
  .option('--json', 'print {agent, token, hash, tokenHashPrefix} as one JSON line instead')
  .addHelpText(
    'after',
    `
Example:
  apex token create alice --config apex.config.json > alice.token    # then add the printed hash to "tokens"`,
  )
  .action(async (agent: string, options: TokenCreateOptions) => {
    await (await import('./token.js')).createToken(agent, options);
  });

program
  .command('verify')
  .description(
    "Check every stream's hash chain; exit 0 when all hold, 1 naming the first broken event or a digest mismatch, 2 on a usage error.",
  )
  .option('-s, --store <url>', 'event store URL [env: APEX_STORE]', process.env.APEX_STORE ?? DEFAULT_STORE_URL)
  .option('--from <position>', 'verify only the events after this position (an earlier run covered the rest)')
  .option('--digest', 'print only the audit checkpoint POSITION:DIGEST, for an auditor to keep outside APEX')
  .option(
    '--against <position:digest>',
    'check the log against a kept checkpoint: catches a truncated tail or a deleted stream',
  )
  .exitOverride(exitTwoOnUsageError)
  .addHelpText(
    'after',
    `
Examples:
  apex verify --store sqlite:./apex-data/events.db
  apex verify --digest > checkpoint.txt               # keep checkpoint.txt somewhere APEX cannot write
  apex verify --against "$(cat checkpoint.txt)"       # later: exit 1 if events recorded by then are gone
  apex verify --from 1200000                          # only what was appended since position 1200000

A progress bar (rate, ETA) is drawn on stderr when it is a terminal.`,
  )
  .action(async (options: { store: string; from?: string; digest?: boolean; against?: string }) => {
    process.exitCode = await (await import('./verify.js')).verify(options);
  });

program
  .command('events')
  .description('List the event log in order, filtered; with --follow, keep printing new events until Ctrl-C.')
  .option('-s, --store <url>', 'event store URL [env: APEX_STORE]', process.env.APEX_STORE ?? DEFAULT_STORE_URL)
  .option('--stream <name>', 'only this stream (repeatable; a trailing * matches a prefix: session-*)', collect, [])
  .option('-t, --type <types>', 'only these event types (repeatable, or comma-separated)', collect, [])
  .option('-a, --agent <id>', "only this agent's events (written for it, or in its own streams)")
  .option('--correlation <id>', 'only the events of one request (correlation id SESSION:REQUEST-ID)')
  .option('--since <time>', 'only events stamped at or after this ISO-8601 time')
  .option('--until <time>', 'only events stamped at or before this ISO-8601 time')
  .option('--after <position>', 'only events after this global position')
  .option('-n, --limit <n>', 'stop after N events')
  .option('--follow', 'at the end of the log, wait for new events (from any process) until SIGINT or SIGTERM')
  .option(
    '--format <format>',
    'table, or json (NDJSON: one full event a line, with hash and prevHash)',
    (value: string): EventsFormat => {
      if (value === 'table' || value === 'json') return value;
      throw new InvalidArgumentError('use table or json');
    },
    'table' as EventsFormat,
  )
  .exitOverride(exitTwoOnUsageError)
  .addHelpText(
    'after',
    `
Examples:
  apex events --type ToolCallCharged,PenaltyApplied --agent alice --since 2026-11-25T10:00:00Z
  apex events --correlation 0192f0c4-…:42 --format json
  apex events --follow --stream 'agent-*'`,
  )
  .action(async (options: EventsOptions) => {
    await (await import('./events.js')).listEvents(options);
  });

const report = program
  .command('report')
  .description('Reports computed from the event log, now or as of a moment (--at).')
  .exitOverride(exitTwoOnUsageError);
const reportCommand = (name: string, description: string, example: string) =>
  report
    .command(name)
    .description(description)
    .option('-s, --store <url>', 'event store URL [env: APEX_STORE]', process.env.APEX_STORE ?? DEFAULT_STORE_URL)
    .option('--at <time|position>', 'an ISO-8601 time or a global position (default: now)')
    .option('-f, --format <format>', 'table, json or csv', formatOption, 'table' as ReportFormat)
    .addHelpText('after', `\nExample:\n  ${example}`);
const runReport = async (kind: ReportKind, options: ReportOptions) =>
  (await import('./report.js')).runReport(kind, options);
const runReportAction = (kind: ReportKind) => (options: ReportOptions) => runReport(kind, options);

reportCommand(
  'balances',
  "Every agent's balance, reserved funds and status, now or as of a moment.",
  'apex report balances --at 2026-11-25T10:32:00Z --format json',
).action(runReportAction({ kind: 'balances' }));
reportCommand(
  'agent <id>',
  "One agent's account (balance, reserved, debt limit, status, PIP, suspension) and every movement that made its balance, with a running balance.",
  'apex report agent alice --at 2026-11-25T10:32:00Z',
).action((agentId: string, options: ReportOptions) => runReport({ kind: 'agent', agentId }, options));
reportCommand(
  'requests',
  'Requests in flight with their age at that moment, and the last 100 that timed out.',
  'apex report requests --at 1200000 --format json',
).action(runReportAction({ kind: 'requests' }));
reportCommand(
  'health',
  'Finished requests, error rate, mean/p50/p99 response time, per method, and the health status.',
  'apex report health --format json',
).action(runReportAction({ kind: 'health' }));
reportCommand(
  'tools',
  'Calls, successes, failures, denials and spend per tool, and per agent and tool.',
  'apex report tools --format csv > tools.csv',
).action(runReportAction({ kind: 'tools' }));
reportCommand(
  'incidents',
  'PIPs started and completed, suspensions, reinstatements, timeouts, penalties and security incidents, in log order.',
  'apex report incidents --at 2026-11-25T18:00:00Z',
).action(runReportAction({ kind: 'incidents' }));

program
  .command('export')
  .description('Write the log (or part of it) as NDJSON with hash-chain proofs a third party can check without APEX.')
  .option('-s, --store <url>', 'event store URL [env: APEX_STORE]', process.env.APEX_STORE ?? DEFAULT_STORE_URL)
  .option('--stream <name>', 'only this stream (repeatable)', collect, [])
  .option('-a, --agent <id>', "only this agent's streams: agent-ID, its sessions, memory-ID, security-ID")
  .option(
    '--since <time|position>',
    'from the first event stamped at or after this ISO-8601 time (or from this position)',
  )
  .option('--until <time|position>', 'up to the last event stamped at or before this ISO-8601 time (or this position)')
  .option('-o, --out <file>', "where to write ('-': stdout); an existing file is never overwritten", '-')
  .exitOverride(exitTwoOnUsageError)
  .addHelpText(
    'after',
    `
Examples:
  apex export --store sqlite:./apex-data/events.db --out apex-2026-11-25.ndjson
  apex export --agent alice --since 2026-11-01T00:00:00Z --out alice-november.ndjson   # partial: anchored slices`,
  )
  .action(async (options: ExportOptions) => {
    await (await import('./export.js')).exportLog(options);
  });

program
  .command('import')
  .description(
    'Load a complete export into an empty store (e.g. SQLite → EventStoreDB); the chain must come out equal.',
  )
  .option(
    '-s, --store <url>',
    'the (empty) target store URL [env: APEX_STORE]',
    process.env.APEX_STORE ?? DEFAULT_STORE_URL,
  )
  .option('-i, --in <file>', "the export to read ('-': stdin)", '-')
  .exitOverride(exitTwoOnUsageError)
  .addHelpText(
    'after',
    `
Example (migrate from SQLite to EventStoreDB):
  apex export --store sqlite:./apex-data/events.db --out log.ndjson
  apex import --store "esdb://localhost:2113?tls=false" --in log.ndjson && apex verify --store "esdb://localhost:2113?tls=false"`,
  )
  .action(async (options: ImportOptions) => {
    process.exitCode = await (await import('./import.js')).importLog(options);
  });

program
  .command('replay')
  .description(
    'Replay the log: --rebuild checks projection checkpoints, --until shows the state before a point, --session re-drives a recorded session. Exit 0 only with no difference.',
  )
  .option('-s, --store <url>', 'event store URL [env: APEX_STORE]', process.env.APEX_STORE ?? DEFAULT_STORE_URL)
  .option('--rebuild', 'recompute every projection from position 0 and compare with the checkpointed state')
  .option(
    '--checkpoints <file>',
    'checkpoints file for --rebuild (default: beside a SQLite store, e.g. events.checkpoints.db)',
  )
  .option('--until <position|time>', 'print every projection as it was just before this position or ISO-8601 time')
  .option('--session <id>', "re-drive this recorded session's requests against this build and --config")
  .option(
    '-c, --config <file>',
    'configuration to replay a session against [env: APEX_CONFIG]',
    process.env.APEX_CONFIG,
  )
  .option(
    '-f, --format <format>',
    'table or json',
    (value: string): ReplayFormat => {
      if (value === 'table' || value === 'json') return value;
      throw new InvalidArgumentError('use table or json');
    },
    'table' as ReplayFormat,
  )
  .exitOverride(exitTwoOnUsageError)
  .addHelpText(
    'after',
    `
Examples:
  apex replay --rebuild
  apex replay --until 2026-11-25T10:32:00Z --format json
  apex replay --session 0192f0c4-… --config apex.config.json     # after changing a price: the changed charges`,
  )
  .action(async (options: ReplayOptions) => {
    process.exitCode = await (await import('./replay.js')).replay(options);
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  if (error instanceof CliError || error instanceof InvalidStoreUrl) {
    process.stderr.write(`apex: ${error.message}\n`);
    process.exitCode = error instanceof CliError ? error.exitCode : 2;
    return;
  }
  process.stderr.write(`apex: unexpected failure: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exitCode = 1;
});
