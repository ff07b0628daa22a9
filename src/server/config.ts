import { readFileSync } from 'node:fs';
import * as E from 'fp-ts/lib/Either.js';
import { pipe } from 'fp-ts/lib/function.js';
import * as t from 'io-ts';
import { REQUEST_TIMEOUT_PENALTY } from '../domain/ledger/commands.js';
import { NonNegativeApxAmount as Amount } from '../domain/money.js';
import { REQUEST_EXPIRY_SCAN_INTERVAL_MS, REQUEST_TTL_MS } from '../domain/session/request-lifetime.js';
import { isValidId } from '../store/stream-name.js';
import { INPUT_BUFFER_BYTES, MAX_MESSAGE_BYTES } from '../transport/index.js';

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

export const TOOLSETS = ['demo'] as const;
export type Toolset = (typeof TOOLSETS)[number];

const PositiveInt = t.refinement(t.number, (n) => Number.isInteger(n) && n > 0, 'a positive integer');

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

const AgentConfig = closedObject(
  'Agent',
  { name: t.string },
  {
    role: t.string,
    systemPrompt: t.string,
    balance: Amount,
    debtLimit: Amount,
    permissions: t.array(t.string),
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
  },
);

const RecordingConfig = closedObject(
  'Recording',
  {},
  { params: t.keyof({ full: null, 'names-only': null, none: null }) },
);

const ConfigFile = closedObject(
  'ApexConfig',
  {},
  {
    $schema: t.string,
    agents: t.record(AgentIdKey, AgentConfig),
    tools: t.record(t.string, ToolConfig),
    toolsets: t.array(t.keyof({ demo: null })),
    limits: LimitsConfig,
    recording: RecordingConfig,
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
}

export interface ToolSettings {
  readonly price: { readonly perCall: bigint; readonly perSecond: bigint };
  readonly category?: string;
  readonly permissions?: readonly string[];
  readonly description?: string;
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
  };
  readonly recording: { readonly params: 'full' | 'names-only' | 'none' };
}

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
  return `${path}: expected ${expected}, got ${JSON.stringify(error.value) ?? 'nothing'}`;
};

export const parseConfig = (input: unknown): E.Either<ConfigError, ApexConfig> =>
  pipe(
    ConfigFile.decode(input),
    E.mapLeft((errors) => new ConfigError(`invalid configuration:\n  ${errors.map(describeError).join('\n  ')}`)),
    E.map((file): ApexConfig => {
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
        });
      }
      const tools = new Map<string, ToolSettings>();
      for (const [name, tool] of Object.entries(file.tools ?? {})) {
        tools.set(name, {
          ...tool,
          price: { perCall: tool.price?.perCall ?? 0n, perSecond: tool.price?.perSecond ?? 0n },
        });
      }
      return {
        agents,
        tools,
        toolsets: file.toolsets ?? [],
        limits: { ...DEFAULT_LIMITS, ...file.limits },
        recording: { params: file.recording?.params ?? 'full' },
      };
    }),
  );

/** Reads and validates a config file; errors name the file's bad field, never a stack trace. */
export const loadConfig = (path: string): E.Either<ConfigError, ApexConfig> => {
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
    parseConfig(json),
    E.mapLeft((error) => new ConfigError(`${path}: ${error.message}`)),
  );
};

/** The empty configuration: no agents, no priced tools, seed defaults. */
export const emptyConfig = (): ApexConfig =>
  E.getOrElseW((e: ConfigError) => {
    throw e;
  })(parseConfig({}));
