#!/usr/bin/env node
import { Command, InvalidArgumentError } from 'commander';
import { SERVER_VERSION } from '../server/server-context.js';
import { DEFAULT_STORE_URL, InvalidStoreUrl } from '../store/open-store.js';
import { CliError } from './cli-error.js';
import { type ReportFormat, reportBalances } from './report.js';
import { serve } from './serve.js';
import { verify } from './verify.js';

const formatOption = (value: string): ReportFormat => {
  if (value === 'table' || value === 'json' || value === 'csv') return value;
  throw new InvalidArgumentError('use table, json or csv');
};

const program = new Command()
  .name('apex')
  .description('APEX: an auditable MCP server. Every request, tool call and charge is a hash-chained event.')
  .version(SERVER_VERSION)
  .showHelpAfterError();

program
  .command('serve')
  .description('Serve MCP on stdin/stdout for one agent; logs go to stderr.')
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
    'the agent this process acts for (default: the only configured agent) [env: APEX_AGENT]',
    process.env.APEX_AGENT,
  )
  .addHelpText(
    'after',
    '\nExample:\n  apex serve --config examples/apex.config.json --agent alice --store sqlite:./apex-data/events.db',
  )
  .action(async (options: { config?: string; store: string; agent?: string }) => {
    await serve(options);
  });

program
  .command('verify')
  .description("Check every stream's hash chain; exit 0 when all hold, 1 naming the first broken event.")
  .option('-s, --store <url>', 'event store URL [env: APEX_STORE]', process.env.APEX_STORE ?? DEFAULT_STORE_URL)
  .addHelpText('after', '\nExample:\n  apex verify --store sqlite:./apex-data/events.db')
  .action(async (options: { store: string }) => {
    process.exitCode = await verify(options);
  });

const report = program.command('report').description('Reports computed from the event log.');
report
  .command('balances')
  .description("Every agent's balance, reserved funds and status, now or as of a moment.")
  .option('-s, --store <url>', 'event store URL [env: APEX_STORE]', process.env.APEX_STORE ?? DEFAULT_STORE_URL)
  .option('--at <time|position>', 'an ISO-8601 time or a global position (default: now)')
  .option('-f, --format <format>', 'table, json or csv', formatOption, 'table' as ReportFormat)
  .addHelpText('after', '\nExample:\n  apex report balances --at 2026-11-25T10:32:00Z --format json')
  .action(async (options: { store: string; at?: string; format: ReportFormat }) => {
    await reportBalances(options);
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
