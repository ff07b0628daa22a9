import { randomUUID } from 'node:crypto';
import * as E from 'fp-ts/lib/Either.js';
import { type ApexConfig, emptyConfig, loadConfig } from '../server/config.js';
import { recoverInBackground } from '../server/recovery.js';
import { createServerContext } from '../server/server-context.js';
import { serveStdio } from '../server/stdio-server.js';
import { openStore } from '../store/open-store.js';
import { CliError } from './cli-error.js';
import { createLogger } from './logger.js';

export interface ServeOptions {
  readonly config?: string;
  readonly store: string;
  readonly agent?: string;
}

/** The agent this stdio process acts for: --agent, or the only configured agent. */
export const chooseAgent = (config: ApexConfig, requested: string | undefined): string => {
  const known = [...config.agents.keys()];
  if (requested !== undefined) {
    if (!config.agents.has(requested)) {
      throw new CliError(
        `unknown agent ${JSON.stringify(requested)}; the configuration has: ${known.join(', ') || 'none'}`,
      );
    }
    return requested;
  }
  if (known.length === 1) return known[0]!;
  throw new CliError(
    known.length === 0
      ? 'the configuration has no agents: pass --config FILE with an "agents" section (see examples/apex.config.json)'
      : `several agents are configured (${known.join(', ')}): choose one with --agent ID`,
  );
};

export const readConfig = (path: string | undefined): ApexConfig => {
  if (path === undefined) return emptyConfig();
  const config = loadConfig(path);
  if (E.isLeft(config)) throw new CliError(config.left.message);
  return config.right;
};

/** `apex serve`: MCP on stdin/stdout, every step recorded; exits 0 when stdin closes or on SIGTERM. */
export const serve = async (options: ServeOptions): Promise<void> => {
  const logger = createLogger();
  const config = readConfig(options.config);
  const agent = chooseAgent(config, options.agent);
  const store = await openStore(options.store);
  const context = await createServerContext({ store, config, logger });
  const sessionId = randomUUID();
  const server = await serveStdio({ context, agent, sessionId });
  const recovery = recoverInBackground(context);
  logger.info(
    { agent, session: sessionId, store: options.store.replace(/\/\/[^@]*@/, '//***@') },
    'APEX serving MCP on stdio',
  );

  const shutdown = (signal: string) => {
    logger.info({ signal }, 'shutting down: finishing in-flight requests');
    void server.stop(`signal ${signal}`);
  };
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  process.once('SIGINT', () => shutdown('SIGINT'));
  await server.finished;
  await recovery;
  await context.close();
  await store.close();
  logger.info('APEX stopped');
  logger.flush();
};
