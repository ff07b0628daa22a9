import { AccessLog, generateToken, hashToken, tokenHashPrefix } from '../server/http/index.js';
import { openStore } from '../store/open-store.js';
import { isValidId } from '../store/stream-name.js';
import { CliError } from './cli-error.js';
import { readConfig } from './serve.js';

export interface TokenCreateOptions {
  readonly config?: string;
  readonly store: string;
  readonly json?: boolean;
}

/**
 * `apex token create AGENT`: a new random bearer token, printed once. APEX keeps only its
 * SHA-256 (in the configuration, which the user edits) and records TokenIssued with a prefix of
 * that hash, never the token. stdout carries the token alone (or JSON with --json), so it can be
 * captured; the instructions go to stderr.
 */
export const createToken = async (agent: string, options: TokenCreateOptions): Promise<void> => {
  if (!isValidId(agent)) {
    throw new CliError(`invalid agent id ${JSON.stringify(agent)}: use letters, digits, _ . @ - (at most 128)`);
  }
  if (options.config !== undefined) {
    const config = readConfig(options.config);
    if (!config.agents.has(agent)) {
      const known = [...config.agents.keys()].join(', ') || 'none';
      throw new CliError(`unknown agent ${JSON.stringify(agent)}; the configuration has: ${known}`);
    }
  }
  const token = generateToken();
  const hash = hashToken(token);
  const prefix = tokenHashPrefix(hash);
  const store = await openStore(options.store);
  try {
    await new AccessLog(store).record({ type: 'IssueToken', data: { agent, tokenHashPrefix: prefix } });
  } finally {
    await store.close();
  }
  const configured = `sha256:${hash}`;
  if (options.json === true) {
    process.stdout.write(`${JSON.stringify({ agent, token, hash: configured, tokenHashPrefix: prefix })}\n`);
    return;
  }
  process.stdout.write(`${token}\n`);
  process.stderr.write(
    [
      '',
      `That is a new bearer token for ${agent}. It is shown only this once: keep it where the client can read it.`,
      `APEX keeps only its hash (TokenIssued, hash prefix ${prefix}, is recorded in the log).`,
      '',
      `To let it in, add the hash to the "tokens" section of ${options.config ?? 'your configuration'} (append it`,
      `to ${agent}'s list if there is one) and restart apex serve --http:`,
      '',
      `  "tokens": { ${JSON.stringify(agent)}: [${JSON.stringify(configured)}] }`,
      '',
      'The client sends it as:  Authorization: Bearer <token>',
      '',
    ].join('\n'),
  );
};
