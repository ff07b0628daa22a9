import {
  checkHttpSetup,
  HttpServerSetupError,
  InvalidListenAddress,
  type ListenAddress,
  parseListenAddress,
  startHttpServer,
} from '../server/http/index.js';
import { recoverInBackground } from '../server/recovery.js';
import { createServerContext } from '../server/server-context.js';
import { openStore } from '../store/open-store.js';
import { CliError } from './cli-error.js';
import { createLogger } from './logger.js';
import { chooseAgent, readConfig, type ServeOptions } from './serve.js';

export interface ServeHttpOptions extends ServeOptions {
  /** `HOST:PORT` to listen on (`--http`). */
  readonly http: string;
}

const listenAddressOf = (text: string): ListenAddress => {
  try {
    return parseListenAddress(text);
  } catch (error) {
    if (error instanceof InvalidListenAddress) throw new CliError(error.message);
    throw error;
  }
};

const waitForSignal = (): Promise<NodeJS.Signals> =>
  new Promise((resolve) => {
    process.once('SIGTERM', () => resolve('SIGTERM'));
    process.once('SIGINT', () => resolve('SIGINT'));
  });

/**
 * `apex serve --http HOST:PORT`: MCP over Streamable HTTP for every agent holding a token (and,
 * on loopback, `--agent` for requests without one). Logs `listening` with the URL once bound;
 * on SIGTERM or SIGINT, finishes in-flight requests, ends every session and exits 0.
 */
export const serveHttp = async (options: ServeHttpOptions): Promise<void> => {
  const logger = createLogger();
  const config = readConfig(options.config);
  const address = listenAddressOf(options.http);
  const defaultAgent = options.agent === undefined ? undefined : chooseAgent(config, options.agent);
  try {
    checkHttpSetup(config, address, defaultAgent);
  } catch (error) {
    if (error instanceof HttpServerSetupError) throw new CliError(error.message);
    throw error;
  }
  const store = await openStore(options.store);
  const context = await createServerContext({ store, config, logger });
  let server: Awaited<ReturnType<typeof startHttpServer>>;
  try {
    server = await startHttpServer({ context, address, ...(defaultAgent === undefined ? {} : { defaultAgent }) });
  } catch (error) {
    await context.close();
    await store.close();
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'EADDRINUSE' || code === 'EACCES' || code === 'EADDRNOTAVAIL') {
      throw new CliError(`cannot listen on ${options.http}: ${code}`);
    }
    throw error;
  }
  logger.info(
    {
      url: server.url,
      agentsWithTokens: [...new Set(config.tokens.values())].sort(),
      ...(defaultAgent === undefined ? {} : { defaultAgent }),
      store: options.store.replace(/\/\/[^@]*@/, '//***@'),
    },
    'listening',
  );

  const recovery = recoverInBackground(context, server.recoverSession);
  const signal = await waitForSignal();
  logger.info({ signal }, 'shutting down: finishing in-flight requests');
  await server.stop(`signal ${signal}`);
  await recovery;
  await context.close();
  await store.close();
  logger.info('APEX stopped');
  logger.flush();
};
