import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { inspect } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { REQUEST_TIMEOUT_PENALTY } from '../domain/ledger/commands.js';
import { NonNegativeApxAmount as Amount } from '../domain/money.js';
import { REQUEST_EXPIRY_SCAN_INTERVAL_MS, REQUEST_TTL_MS } from '../domain/session/request-lifetime.js';
import { isValidId } from '../store/stream-name.js';
import { INPUT_BUFFER_BYTES, MAX_MESSAGE_BYTES } from '../transport/index.js';
import { MIN_REQUEST_STATE_SECRET_LENGTH } from './mrtr/request-state.js';

/** Defaults from the seed (§2, §4); each number is named where its rule lives. */
export const DEFAULT_LIMITS = {
  requestTtlMs: REQUEST_TTL_MS,
  gcIntervalMs: REQUEST_EXPIRY_SCAN_INTERVAL_MS,
  timeoutPenalty: REQUEST_TIMEOUT_PENALTY,
  maxMessageBytes: MAX_MESSAGE_BYTES,
  inputBufferBytes: INPUT_BUFFER_BYTES,
  /** Requests handled at once per connection; further input waits (backpressure). */
  concurrency: 64,
} as const;

/** Optional tool families: `demo` (echo, sleep, fail) and `conformance` (the MCP conformance suite's fixtures). */
const ToolsetName = t.keyof({ demo: null, conformance: null });
export type Toolset = t.TypeOf<typeof ToolsetName>;
export const TOOLSETS = Object.keys(ToolsetName.keys) as readonly Toolset[];

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'a positive integer');

const PositiveNumber = t.refinement(t.number, (n) => Number.isFinite(n) && n > 0, 'a positive number');

/** A bearer token's SHA-256 as `apex token create` prints it: `sha256:` and 64 hex digits. */
const TokenHash = t.refinement(
  t.string,
  (s) => /^(sha256:)?[0-9a-fA-F]{64}$/.test(s),
  'a token hash: "sha256:" and 64 hex digits (apex token create prints it)',
);

const AgentIdKey = t.refinement(t.string, isValidId, 'an agent id (letters, digits, _ . @ -; at most 128)');

/** An object codec that also refuses keys it does not know, so a typo in a config is an error, not a no-op. */
const closedObject = <R extends t.Props, O extends t.Props>(name: string, required: R, optional: O) => {
  const known = new Set([...Object.keys(required), ...Object.keys(optional)]);
  const base = t.intersection([t.type(required), t.partial(optional)]);
  return new t.Type<t.TypeOf<typeof base>, unknown, unknown>(
    name,
    base.is,
    (input, context) => {
      if (typeof input === 'object' && input !== null && !Array.isArray(input)) {
        const unknownKey = Object.keys(input).find((key) => !known.has(key));
        if (unknownKey !== undefined) {
          return t.failure(input, [...context, { key: unknownKey, type: t.never, actual: input }], 'unknown field');
        }
      }
      return base.validate(input, context);
    },
    (value) => base.encode(value),
  );
};

const PriceConfig = closedObject('Price', {}, { perCall: Amount, perSecond: Amount });

/** Per-agent HTTP rate limits: a token bucket of requests, and caps on requests in flight and on open sessions. */
const RateLimitConfig = closedObject(
  'RateLimit',
  {},
  { requestsPerSecond: PositiveNumber, burst: PositiveInt, maxConcurrentCalls: PositiveInt, maxSessions: PositiveInt },
);

const AgentConfig = closedObject(
  'Agent',
  { name: t.string },
  {
    role: t.string,
    systemPrompt: t.string,
    balance: Amount,
    debtLimit: Amount,
    permissions: t.array(t.string),
    rateLimit: RateLimitConfig,
  },
);

const ToolConfig = closedObject(
  'Tool',
  {},
  {
    price: PriceConfig,
    category: t.string,
    permissions: t.array(t.string),
    description: t.string,
    /**
     * Run calls of this tool as tasks (2026-07-28 tasks extension) for clients that declare it; false
     * never; "required": only as a task (a request that cannot get one is refused, nothing reserved).
     */
    runAsTask: t.union([t.boolean, t.literal('required')]),
  },
);

const LimitsConfig = closedObject(
  'Limits',
  {},
  {
    requestTtlMs: PositiveInt,
    gcIntervalMs: PositiveInt,
    timeoutPenalty: Amount,
    maxMessageBytes: PositiveInt,
    inputBufferBytes: PositiveInt,
    concurrency: PositiveInt,
    rateLimit: RateLimitConfig,
  },
);

/** A browser origin, as its `Origin` header spells it: scheme://host[:port], no path. */
const OriginString = t.refinement(
  t.string,
  (s) => /^https?:\/\/[^/\s?#]+$/i.test(s),
  'an origin (https://host[:port])',
);

const HttpConfig = closedObject(
  'Http',
  {},
  { allowedOrigins: t.array(OriginString), sessionIdleMs: PositiveInt, keepAliveMs: PositiveInt },
);

const RecordingConfig = closedObject(
  'Recording',
  {},
  { params: t.keyof({ full: null, 'names-only': null, none: null }) },
);

/** An environment variable's name, as a shell spells it. */
const EnvVarName = t.refinement(
  t.string,
  (s) => /^[A-Za-z_][A-Za-z0-9_]*$/.test(s),
  'an environment variable name (letters, digits, _)',
);

const NonEmptyString = t.refinement(t.string, (s) => s.length > 0, 'a non-empty string');

/** Where the requestState secret is read from at start-up: never the config file itself. */
const RequestStateConfig = closedObject('RequestState', {}, { secretEnv: EnvVarName, secretFile: NonEmptyString });

const ConfigFile = closedObject(
  'ApexConfig',
  {},
  {
    $schema: t.string,
    agents: t.record(AgentIdKey, AgentConfig),
    tools: t.record(t.string, ToolConfig),
    toolsets: t.array(ToolsetName),
    limits: LimitsConfig,
    recording: RecordingConfig,
    tokens: t.record(AgentIdKey, t.array(TokenHash)),
    http: HttpConfig,
    requestState: RequestStateConfig,
  },
);

export interface AgentSettings {
  readonly id: string;
  readonly name: string;
  readonly role: string;
  readonly systemPrompt: string;
  /** Opening balance in micro-APX, credited when the agent is first registered. */
  readonly balance: bigint;
  readonly debtLimit: bigint;
  readonly permissions: readonly string[];
  /** Overrides `limits.rateLimit` for this agent (HTTP only). */
  readonly rateLimit?: RateLimitSettings;
}

export interface RateLimitSettings {
  readonly requestsPerSecond: number;
  readonly burst: number;
  readonly maxConcurrentCalls: number;
  /** HTTP sessions one agent may hold open at once (each is a connection and a session stream in memory). */
  readonly maxSessions: number;
}

/** HTTP defaults: generous for one agent, yet a runaway client cannot starve the others. */
export const DEFAULT_RATE_LIMIT: RateLimitSettings = {
  requestsPerSecond: 50,
  burst: 100,
  maxConcurrentCalls: 16,
  maxSessions: 32,
};

export const DEFAULT_HTTP = {
  /** An HTTP session with no request for this long is ended (recorded as SessionEnded). */
  sessionIdleMs: 30 * 60_000,
  /** SSE comment frames this often keep proxies from closing a quiet stream. */
  keepAliveMs: 15_000,
} as const;

export interface ToolSettings {
  readonly price: { readonly perCall: bigint; readonly perSecond: bigint };
  readonly category?: string;
  readonly permissions?: readonly string[];
  readonly description?: string;
  readonly runAsTask?: boolean | 'required';
}

/**
 * A secret read at start-up. It prints as `[redacted]` however it is logged, inspected or
 * serialised; `reveal()` is the one way to the text.
 */
export class ConfiguredSecret {
  readonly #text: string;

  constructor(text: string) {
    this.#text = text;
  }

  reveal(): string {
    return this.#text;
  }

  toString(): string {
    return '[redacted]';
  }

  toJSON(): string {
    return '[redacted]';
  }

  [inspect.custom](): string {
    return '[redacted]';
  }
}

export interface RequestStateSettings {
  /** Signs multi round-trip request states, so they hold across restarts and across instances. */
  readonly secret: ConfiguredSecret;
  /** Where the secret was read from, for the start-up log: `environment variable NAME` or `file PATH`. */
  readonly source: string;
}

export interface ApexConfig {
  readonly agents: ReadonlyMap<string, AgentSettings>;
  readonly tools: ReadonlyMap<string, ToolSettings>;
  readonly toolsets: readonly Toolset[];
  readonly limits: {
    readonly requestTtlMs: number;
    readonly gcIntervalMs: number;
    readonly timeoutPenalty: bigint;
    readonly maxMessageBytes: number;
    readonly inputBufferBytes: number;
    readonly concurrency: number;
    readonly rateLimit: RateLimitSettings;
  };
  readonly recording: { readonly params: 'full' | 'names-only' | 'none' };
  /** Bearer tokens by the lowercase hex SHA-256 of the token: the agent each one acts for. */
  readonly tokens: ReadonlyMap<string, string>;
  readonly http: {
    /** Origins (scheme://host[:port]) allowed besides loopback ones. */
    readonly allowedOrigins: readonly string[];
    readonly sessionIdleMs: number;
    readonly keepAliveMs: number;
  };
  /** The configured requestState secret; absent: a random key per process (states do not survive a restart). */
  readonly requestState?: RequestStateSettings;
}

/** Where a configuration's secrets come from: the environment, and files relative to the config's folder. */
export interface ConfigEnvironment {
  readonly env: Readonly<Record<string, string | undefined>>;
  /** A relative `secretFile` is read from here: the config file's folder. */
  readonly baseDir: string;
}

const processEnvironment = (baseDir = process.cwd()): ConfigEnvironment => ({ env: process.env, baseDir });

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
}

/** `agents.alice.balance` from an io-ts context (skipping the unnamed intersection/refinement layers). */
const describePath = (error: t.ValidationError): string =>
  error.context
    .map((entry) => entry.key)
    .filter((key) => key !== '' && !/^\d+$/.test(key))
    .join('.');

const describeError = (error: t.ValidationError): string => {
  const path = describePath(error) || '(top level)';
  if (error.message === 'unknown field') return `${path}: unknown field (check its spelling)`;
  const expected = error.context[error.context.length - 1]?.type.name ?? 'a valid value';
  // A secret pasted where its source belongs must not reach the log.
  if (path.startsWith('requestState')) return `${path}: expected ${expected}`;
  return `${path}: expected ${expected}, got ${JSON.stringify(error.value) ?? 'nothing'}`;
};

/** `tokens` by hash, refusing a token listed for an unknown agent or for two agents. */
const tokensByHash = (
  tokens: Readonly<Record<string, readonly string[]>>,
  agents: ReadonlyMap<string, AgentSettings>,
): E.Either<ConfigError, ReadonlyMap<string, string>> => {
  const byHash = new Map<string, string>();
  for (const [agent, hashes] of Object.entries(tokens)) {
    if (!agents.has(agent)) {
      return E.left(new ConfigError(`invalid configuration:\n  tokens.${agent}: no agent "${agent}" in "agents"`));
    }
    for (const hash of hashes) {
      const hex = hash.replace(/^sha256:/, '').toLowerCase();
      const owner = byHash.get(hex);
      if (owner !== undefined && owner !== agent) {
        return E.left(
          new ConfigError(`invalid configuration:\n  tokens.${agent}: a token hash also listed for "${owner}"`),
        );
      }
      byHash.set(hex, agent);
    }
  }
  return E.right(byHash);
};

const invalid = (field: string, message: string): ConfigError =>
  new ConfigError(`invalid configuration:\n  ${field}: ${message}`);

const SECRET_HINT = `a secret of at least ${MIN_REQUEST_STATE_SECRET_LENGTH} characters, e.g. from \`openssl rand -hex 32\``;

/**
 * The requestState secret, read from the environment variable or the file the config names.
 * Surrounding whitespace (a file's trailing newline) is not part of it. Errors name the field and
 * the variable or file, never the secret.
 */
const readRequestStateSecret = (
  section: t.TypeOf<typeof RequestStateConfig> | undefined,
  environment: ConfigEnvironment,
): E.Either<ConfigError, RequestStateSettings | undefined> => {
  if (section === undefined) return E.right(undefined);
  const { secretEnv, secretFile } = section;
  if (secretEnv !== undefined && secretFile !== undefined) {
    return E.left(invalid('requestState', 'give one of secretEnv or secretFile, not both'));
  }
  let field: string;
  let source: string;
  let text: string;
  if (secretEnv !== undefined) {
    field = 'requestState.secretEnv';
    // A name as long as a secret may be the secret itself, pasted in by mistake: not echoed.
    source =
      secretEnv.length < MIN_REQUEST_STATE_SECRET_LENGTH
        ? `environment variable ${secretEnv}`
        : 'environment variable secretEnv names (secretEnv is the name of a variable, not the secret)';
    const value = environment.env[secretEnv];
    if (value === undefined || value.trim() === '') {
      return E.left(invalid(field, `the ${source} is not set or empty; set it to ${SECRET_HINT}`));
    }
    text = value;
  } else if (secretFile !== undefined) {
    field = 'requestState.secretFile';
    const path = resolve(environment.baseDir, secretFile);
    source = `file ${path}`;
    try {
      text = readFileSync(path, 'utf8');
    } catch (error) {
      return E.left(invalid(field, `cannot read ${path}: ${(error as NodeJS.ErrnoException).code ?? 'unreadable'}`));
    }
  } else {
    return E.left(invalid('requestState', 'name where the secret is: secretEnv (a variable) or secretFile (a file)'));
  }
  const secret = text.trim();
  if (secret.length < MIN_REQUEST_STATE_SECRET_LENGTH) {
    return E.left(invalid(field, `the secret in the ${source} is too short; use ${SECRET_HINT}`));
  }
  return E.right({ secret: new ConfiguredSecret(secret), source });
};

/**
 * Validates a parsed config file. `environment` is where its secrets are read from (by default
 * this process's environment, and files relative to the working directory).
 */
export const parseConfig = (
  input: unknown,
  environment: ConfigEnvironment = processEnvironment(),
): E.Either<ConfigError, ApexConfig> =>
  pipe(
    ConfigFile.decode(input),
    E.mapLeft((errors) => new ConfigError(`invalid configuration:\n  ${errors.map(describeError).join('\n  ')}`)),
    E.chain((file) => {
      const agents = new Map<string, AgentSettings>();
      for (const [id, agent] of Object.entries(file.agents ?? {})) {
        agents.set(id, {
          id,
          name: agent.name,
          role: agent.role ?? 'agent',
          systemPrompt: agent.systemPrompt ?? '',
          balance: agent.balance ?? 0n,
          debtLimit: agent.debtLimit ?? 0n,
          permissions: agent.permissions ?? [],
          ...(agent.rateLimit === undefined
            ? {}
            : { rateLimit: { ...DEFAULT_RATE_LIMIT, ...file.limits?.rateLimit, ...agent.rateLimit } }),
        });
      }
      const tools = new Map<string, ToolSettings>();
      for (const [name, tool] of Object.entries(file.tools ?? {})) {
        tools.set(name, {
          ...tool,
          price: { perCall: tool.price?.perCall ?? 0n, perSecond: tool.price?.perSecond ?? 0n },
        });
      }
      return pipe(
        E.Do,
        E.apS('tokens', tokensByHash(file.tokens ?? {}, agents)),
        E.apS('requestState', readRequestStateSecret(file.requestState, environment)),
        E.map(
          ({ tokens, requestState }): ApexConfig => ({
            agents,
            tools,
            toolsets: file.toolsets ?? [],
            limits: {
              ...DEFAULT_LIMITS,
              ...file.limits,
              rateLimit: { ...DEFAULT_RATE_LIMIT, ...file.limits?.rateLimit },
            },
            recording: { params: file.recording?.params ?? 'full' },
            tokens,
            http: { allowedOrigins: [], ...DEFAULT_HTTP, ...file.http },
            ...(requestState === undefined ? {} : { requestState }),
          }),
        ),
      );
    }),
  );

/**
 * Reads and validates a config file; errors name the file's bad field, never a stack trace. Its
 * secrets come from `env` and from files relative to the config file's folder.
 */
export const loadConfig = (
  path: string,
  env: ConfigEnvironment['env'] = process.env,
): E.Either<ConfigError, ApexConfig> => {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    return E.left(new ConfigError(`cannot read configuration ${path}: ${(error as NodeJS.ErrnoException).code}`));
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    return E.left(new ConfigError(`configuration ${path} is not valid JSON: ${(error as Error).message}`));
  }
  return pipe(
    parseConfig(json, { env, baseDir: dirname(resolve(path)) }),
    E.mapLeft((error) => new ConfigError(`${path}: ${error.message}`)),
  );
};

/** The empty configuration: no agents, no priced tools, seed defaults. */
export const emptyConfig = (): ApexConfig =>
  E.getOrElseW((e: ConfigError) => {
    throw e;
  })(parseConfig({}));
