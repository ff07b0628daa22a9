import * as E from 'fp-ts/lib/Either.js';
import type { Logger } from 'pino';
import { SANDBOX_ESCAPE_ATTEMPT_KIND, type SecurityCommand, securityDecider } from '../domain/security/decider.js';
import type { SecurityEvent } from '../domain/security/events.js';
import { LATEST_PROTOCOL_VERSION } from '../protocol/protocol-version.js';
import type { EventMetadata, EventStore } from '../store/event-store.js';
import { streamName } from '../store/stream-name.js';
import { AgentAccounts } from './agent-accounts.js';
import { AggregateCache } from './aggregate-cache.js';
import { conformancePrompts, conformanceResources } from './api/conformance-fixtures.js';
import { promptsApi } from './api/prompts-api.js';
import { resourcesApi } from './api/resources-api.js';
import { tasksApi } from './api/tasks-api.js';
import { toolsApi } from './api/tools-api.js';
import type { ApexConfig } from './config.js';
import { domainEventCodec } from './event-codec.js';
import { type Instance, THIS_INSTANCE } from './instance.js';
import { MemoryIndex } from './memory-index.js';
import { requestStateKeyFrom } from './mrtr/request-state.js';
import type { Handler, RequestScope } from './outcome.js';
import { type ReadModels, startReadModels } from './read-models.js';
import { Subscriptions } from './subscriptions.js';
import { TaskRunner } from './tasks/task-runner.js';
import { builtinTools } from './tools/builtin-tools.js';
import { conformanceTools } from './tools/conformance-tools.js';
import { demoTools } from './tools/demo-tools.js';
import { ToolHooks } from './tools/hooks.js';
import { MultiRoundCalls } from './tools/multi-round.js';
import { ToolCatalog } from './tools/tool-catalog.js';
import type { ToolDefinition } from './tools/tool-definition.js';
import { SERVER_NAME, SERVER_VERSION } from './version.js';

export { SERVER_NAME, SERVER_VERSION } from './version.js';

/** Everything the connections of one APEX process share. */
export interface ServerContext {
  readonly store: EventStore;
  readonly config: ApexConfig;
  readonly logger: Logger;
  readonly accounts: AgentAccounts;
  readonly catalog: ToolCatalog;
  readonly hooks: ToolHooks;
  readonly subscriptions: Subscriptions;
  readonly readModels: ReadModels;
  readonly handlers: ReadonlyMap<string, Handler>;
  readonly serverInfo: { readonly name: string; readonly title: string; readonly version: string };
  readonly latestProtocolVersion: string;
  /** This process, recorded on the sessions it runs (see src/server/instance.ts). */
  readonly instance: Instance;
  /** Charges the seed's timeout penalty to `agent`. */
  readonly penalizeTimeout: (
    agent: string,
    correlationId: string,
    ttlMs: number,
    metadata: EventMetadata,
  ) => Promise<void>;
  readonly close: () => Promise<void>;
}

export interface ServerContextOptions {
  readonly store: EventStore;
  readonly config: ApexConfig;
  readonly logger: Logger;
  /** Extra tools (tests, embedding applications) beside the built-in ones and the configured toolsets. */
  readonly extraTools?: readonly ToolDefinition[];
}

/** Builds the shared server state and registers the configured agents the log does not know yet. */
export const createServerContext = async (options: ServerContextOptions): Promise<ServerContext> => {
  const { store, config, logger } = options;
  const accounts = new AgentAccounts(store);
  const registered = await accounts.registerConfigured(config.agents.values());
  if (registered.length > 0) logger.info({ agents: registered }, 'registered agents from the configuration');

  const memoryIndex = new MemoryIndex(store);
  const conformance = config.toolsets.includes('conformance');
  const tools = [
    ...builtinTools({ store, accounts, memoryIndex }),
    ...(config.toolsets.includes('demo') ? demoTools : []),
    ...(conformance ? conformanceTools : []),
    ...(options.extraTools ?? []),
  ];
  const catalog = new ToolCatalog(tools, config);
  const hooks = new ToolHooks();
  const subscriptions = new Subscriptions(store, (error) =>
    logger.error({ err: error }, 'resource subscription feed failed'),
  );
  const readModels = await startReadModels(store, logger);
  const security = new AggregateCache<SecurityCommand, SecurityEvent, { incidents: number }>(
    store,
    streamName.security,
    securityDecider,
    domainEventCodec<SecurityEvent>(),
  );

  const reportSandboxEscape = async (scope: RequestScope, detail: string): Promise<void> => {
    const metadata = scope.metadata();
    const incidents = await security.get(scope.agent);
    await incidents.execute(
      {
        type: 'ReportSecurityIncident',
        data: { kind: SANDBOX_ESCAPE_ATTEMPT_KIND, detail, correlationId: scope.correlationId },
      },
      metadata,
    );
    const account = await accounts.get(scope.agent);
    const outcome = await account.execute({ type: 'ReportSandboxEscape', data: { detail } }, metadata);
    if (E.isLeft(outcome)) logger.warn({ agent: scope.agent, reason: outcome.left.message }, 'suspension not recorded');
  };

  const penalizeTimeout = async (agent: string, correlationId: string, ttlMs: number, metadata: EventMetadata) => {
    const account = await accounts.get(agent);
    const outcome = await account.execute(
      {
        type: 'ApplyPenalty',
        data: { reason: `request timed out after ${ttlMs} ms`, amount: config.limits.timeoutPenalty, correlationId },
      },
      metadata,
    );
    if (E.isLeft(outcome)) logger.warn({ agent, reason: outcome.left.message }, 'timeout penalty not recorded');
  };
  const tasks = new TaskRunner(store, THIS_INSTANCE, logger);
  // Without a configured secret the key is made per process: a round's state does not outlive it.
  const requestStateSecret = config.requestState?.secret.reveal();
  if (requestStateSecret === undefined) {
    logger.warn(
      'no requestState secret configured: multi round-trip states are signed with a key of this process only, ' +
        'so they will not survive a restart nor work on another instance (set "requestState": { "secretEnv": … } ' +
        'or { "secretFile": … } in the configuration)',
    );
  } else {
    logger.info({ source: config.requestState?.source }, 'requestState secret configured');
  }
  const multiRound = new MultiRoundCalls(requestStateKeyFrom(requestStateSecret), store);

  const handlers = new Map<string, Handler>(
    Object.entries({
      ping: async () => ({ result: {} }),
      ...toolsApi({
        config,
        catalog,
        accounts,
        hooks,
        reportSandboxEscape,
        onToolCrash: (tool, error) => logger.error({ err: error, tool }, 'tool threw'),
        multiRound,
        tasks,
        penalizeTimeout: (scope, ttlMs) => penalizeTimeout(scope.agent, scope.correlationId, ttlMs, scope.metadata()),
      }),
      ...tasksApi(tasks),
      ...resourcesApi({
        store,
        config,
        accounts,
        memoryIndex,
        subscriptions,
        systemBank: async () => readModels.systemBank(),
        health: async () => readModels.health(),
        metrics: async () => readModels.metrics(),
        providers: conformance ? [conformanceResources] : [],
      }),
      ...promptsApi(config, conformance ? conformancePrompts : [], multiRound),
    }),
  );

  return {
    store,
    config,
    logger,
    accounts,
    catalog,
    hooks,
    subscriptions,
    readModels,
    handlers,
    serverInfo: { name: SERVER_NAME, title: 'APEX auditable MCP server', version: SERVER_VERSION },
    instance: THIS_INSTANCE,
    latestProtocolVersion: LATEST_PROTOCOL_VERSION,
    penalizeTimeout,
    close: async () => {
      await tasks.stopAll('the server shut down');
      subscriptions.stop();
      await readModels.stop();
    },
  };
};
