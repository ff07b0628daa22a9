import type { McpRequestParams } from '../../protocol/mcp-params.js';
import {
  declaresTasksExtension,
  SUBSCRIPTION_ID_META_KEY,
  TASKS_EXTENSION_ID,
} from '../../protocol/modern-envelope.js';
import { missingRequiredClientCapability } from '../../protocol/modern-errors.js';
import type { EventStore } from '../../store/event-store.js';
import { isValidId } from '../../store/stream-name.js';
import type { AgentAccounts } from '../agent-accounts.js';
import type { ApexConfig } from '../config.js';
import { invalidParams, methodNotFound, permissionDenied, resourceNotFound } from '../errors.js';
import { ledgerView } from '../ledger-view.js';
import type { MemoryIndex } from '../memory-index.js';
import { ABANDONED, type Handler, type Outcome, type RequestScope } from '../outcome.js';
import type { Subscriptions } from '../subscriptions.js';
import { watchableTasks, watchTasks } from '../tasks/task-notifications.js';

/** The permission that lets an agent read every agent's ledger and memory. */
export const AUDITOR_PERMISSION = 'auditor';
const JSON_MIME = 'application/json';
const MEMORY_CONTEXT_SIZE = 20;
const MEMORY_SEARCH_SIZE = 10;

/** A resource as resources/list shows it. */
export interface ResourceDescriptor {
  readonly uri: string;
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly mimeType?: string;
}

/** A family of resources as resources/templates/list shows it (RFC 6570 level 1). */
export interface ResourceTemplateDescriptor {
  readonly uriTemplate: string;
  readonly name: string;
  readonly title?: string;
  readonly description?: string;
  readonly mimeType?: string;
}

/** What resources/read returns for one URI: text, or bytes in base64. */
export type ResourceContents =
  | { readonly uri: string; readonly mimeType: string; readonly text: string }
  | { readonly uri: string; readonly mimeType: string; readonly blob: string };

/**
 * Resources beside APEX's own, such as a toolset's fixtures: listed after APEX's, read (and open to
 * subscription) when `read` knows the URI. Permission checks, if any, are the provider's.
 */
export interface ResourceProvider {
  readonly resources: readonly ResourceDescriptor[];
  readonly templates: readonly ResourceTemplateDescriptor[];
  /** The contents of `uri`, or undefined when this provider does not serve it. */
  readonly read: (uri: string) => Promise<readonly ResourceContents[] | undefined>;
}

export interface ResourceDependencies {
  readonly store: EventStore;
  readonly config: ApexConfig;
  readonly accounts: AgentAccounts;
  readonly memoryIndex: MemoryIndex;
  readonly subscriptions: Subscriptions;
  /** System bank and health figures come from projections of the whole log. */
  readonly systemBank: () => Promise<Record<string, unknown>>;
  readonly health: () => Promise<Record<string, unknown>>;
  readonly metrics: () => Promise<Record<string, unknown>>;
  /** Asked, in order, about URIs APEX itself does not serve. */
  readonly providers?: readonly ResourceProvider[];
}

const TEMPLATES: readonly ResourceTemplateDescriptor[] = [
  {
    uriTemplate: 'payroll://ledger/{agent_id}',
    name: 'agent-ledger',
    title: 'Agent ledger',
    description:
      "An agent's account: balance, reserved, debt limit, status and recent movements (yours, or any with the auditor permission).",
    mimeType: JSON_MIME,
  },
  {
    uriTemplate: 'memory://context/{agent_id}',
    name: 'agent-context',
    title: 'Agent context',
    description: "An agent's most recent memories.",
    mimeType: JSON_MIME,
  },
  {
    uriTemplate: 'memory://vector/{query}',
    name: 'memory-search',
    title: 'Memory search',
    description: 'Your memories ranked by the words they share with {query} (lexical BM25, not vectors).',
    mimeType: JSON_MIME,
  },
];

const STATIC_RESOURCES: readonly ResourceDescriptor[] = [
  {
    uri: 'payroll://system/bank',
    name: 'system-bank',
    title: 'System bank',
    description: 'The other side of every movement: total issued, charged and penalised.',
    mimeType: JSON_MIME,
  },
  {
    uri: 'apex://health',
    name: 'health',
    title: 'Health',
    description: 'Health status (healthy / degraded / unhealthy) from the error rate.',
    mimeType: JSON_MIME,
  },
  {
    uri: 'apex://metrics',
    name: 'metrics',
    title: 'Metrics',
    description: 'Request counts, error rates and response times per method.',
    mimeType: JSON_MIME,
  },
];

type Parsed =
  | { readonly kind: 'ledger'; readonly agent: string }
  | { readonly kind: 'context'; readonly agent: string }
  | { readonly kind: 'search'; readonly query: string }
  | { readonly kind: 'bank' | 'health' | 'metrics' };

const decodeSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

const agentSegment = (segment: string): string | undefined => {
  const agent = decodeSegment(segment);
  return agent !== undefined && isValidId(agent) ? agent : undefined;
};

/** Parses the URIs APEX serves; anything else (including a malformed %-escape) is not found. */
export const parseResourceUri = (uri: string): Parsed | undefined => {
  if (uri === 'payroll://system/bank') return { kind: 'bank' };
  if (uri === 'apex://health') return { kind: 'health' };
  if (uri === 'apex://metrics') return { kind: 'metrics' };
  const ledger = /^payroll:\/\/ledger\/([^/?#]+)$/.exec(uri);
  if (ledger !== null) {
    const agent = agentSegment(ledger[1]!);
    return agent === undefined ? undefined : { kind: 'ledger', agent };
  }
  const context = /^memory:\/\/context\/([^/?#]+)$/.exec(uri);
  if (context !== null) {
    const agent = agentSegment(context[1]!);
    return agent === undefined ? undefined : { kind: 'context', agent };
  }
  const search = /^memory:\/\/vector\/([^?#]+)$/.exec(uri);
  if (search !== null) {
    const query = decodeSegment(search[1]!);
    return query === undefined ? undefined : { kind: 'search', query };
  }
  return undefined;
};

const uriOf = (scope: RequestScope): string => (scope.params as McpRequestParams<'resources/read'>).uri;

const json = (uri: string, value: unknown): Outcome => ({
  result: { contents: [{ uri, mimeType: JSON_MIME, text: JSON.stringify(value, null, 2) }] },
});

/** resources/list, resources/templates/list, resources/read, resources/subscribe and unsubscribe. */
export const resourcesApi = (deps: ResourceDependencies): Record<string, Handler> => {
  const mayRead = (scope: RequestScope, agent: string): boolean =>
    agent === scope.agent || (deps.config.agents.get(scope.agent)?.permissions.includes(AUDITOR_PERMISSION) ?? false);

  const providers = deps.providers ?? [];

  /** The first provider's contents for `uri`, or undefined when none serves it. */
  const readFromProviders = async (uri: string): Promise<readonly ResourceContents[] | undefined> => {
    for (const provider of providers) {
      const contents = await provider.read(uri);
      if (contents !== undefined) return contents;
    }
    return undefined;
  };

  const read = async (scope: RequestScope, uri: string): Promise<Outcome> => {
    const parsed = parseResourceUri(uri);
    if (parsed === undefined) {
      const contents = await readFromProviders(uri);
      return contents === undefined ? { error: resourceNotFound(uri, scope.era) } : { result: { contents } };
    }
    switch (parsed.kind) {
      case 'ledger':
        if (!mayRead(scope, parsed.agent))
          return { error: permissionDenied(`Reading ${uri} needs the ${AUDITOR_PERMISSION} permission.`) };
        if (
          !deps.config.agents.has(parsed.agent) &&
          (await deps.accounts.get(parsed.agent)).state.status === 'unregistered'
        ) {
          return { error: resourceNotFound(uri, scope.era) };
        }
        return json(uri, await ledgerView(deps.accounts, deps.store, parsed.agent));
      case 'context':
        if (!mayRead(scope, parsed.agent))
          return { error: permissionDenied(`Reading ${uri} needs the ${AUDITOR_PERMISSION} permission.`) };
        return json(uri, {
          agent: parsed.agent,
          memories: serializable(await deps.memoryIndex.recent(parsed.agent, MEMORY_CONTEXT_SIZE)),
        });
      case 'search':
        return json(uri, {
          agent: scope.agent,
          query: parsed.query,
          ranking: 'lexical-bm25',
          results: serializable(await deps.memoryIndex.search(scope.agent, parsed.query, MEMORY_SEARCH_SIZE)),
        });
      case 'bank':
        return json(uri, await deps.systemBank());
      case 'health':
        return json(uri, await deps.health());
      case 'metrics':
        return json(uri, await deps.metrics());
    }
  };

  return {
    'resources/list': async (scope) => {
      const own = {
        uri: `payroll://ledger/${scope.agent}`,
        name: `ledger-${scope.agent}`,
        title: `Ledger of ${scope.agent}`,
        mimeType: JSON_MIME,
      };
      const context = {
        uri: `memory://context/${scope.agent}`,
        name: `context-${scope.agent}`,
        title: `Memories of ${scope.agent}`,
        mimeType: JSON_MIME,
      };
      const provided = providers.flatMap((provider) => provider.resources);
      return { result: { resources: [own, context, ...STATIC_RESOURCES, ...provided] } };
    },
    'resources/templates/list': async () => ({
      result: { resourceTemplates: [...TEMPLATES, ...providers.flatMap((provider) => provider.templates)] },
    }),
    'resources/read': async (scope) => read(scope, uriOf(scope)),
    'resources/subscribe': async (scope) => {
      const uri = uriOf(scope);
      const resource = parseResourceUri(uri);
      if (resource === undefined && (await readFromProviders(uri)) === undefined) {
        return { error: resourceNotFound(uri, scope.era) };
      }
      if ((resource?.kind === 'ledger' || resource?.kind === 'context') && !mayRead(scope, resource.agent)) {
        return { error: permissionDenied(`Subscribing to ${uri} needs the ${AUDITOR_PERMISSION} permission.`) };
      }
      deps.subscriptions.subscribe(scope.sessionId, uri, scope.notify);
      return { result: {} };
    },
    'resources/unsubscribe': async (scope) => {
      deps.subscriptions.unsubscribe(scope.sessionId, uriOf(scope));
      return { result: {} };
    },
    'subscriptions/listen': async (scope) => {
      // 2026-07-28 only: the legacy era subscribes with resources/subscribe inside a session.
      if (scope.era !== 'modern') return { error: methodNotFound(scope.method) };
      const filter = (scope.params as { notifications?: unknown } | undefined)?.notifications;
      if (typeof filter !== 'object' || filter === null || Array.isArray(filter)) {
        return {
          error: invalidParams('subscriptions/listen needs params.notifications (an object)', 'params.notifications'),
        };
      }
      const wanted = (filter as { resourceSubscriptions?: unknown }).resourceSubscriptions;
      // Resource updates and task status are offered (APEX's lists never change while it runs); a
      // resource the caller may not read, or that does not exist, is left out of what is honored.
      const honored: string[] = [];
      for (const uri of Array.isArray(wanted)
        ? wanted.filter((item): item is string => typeof item === 'string')
        : []) {
        const resource = parseResourceUri(uri);
        if (resource === undefined && (await readFromProviders(uri)) === undefined) continue;
        if ((resource?.kind === 'ledger' || resource?.kind === 'context') && !mayRead(scope, resource.agent)) continue;
        if (!honored.includes(uri)) honored.push(uri);
      }
      // Task status (tasks extension): only for a request that declared the extension, only the caller's tasks.
      const wantedTasks = (filter as { taskIds?: unknown }).taskIds;
      if (Array.isArray(wantedTasks) && !declaresTasksExtension(scope.clientCapabilities)) {
        return { error: missingRequiredClientCapability({ extensions: { [TASKS_EXTENSION_ID]: {} } }) };
      }
      const honoredTasks = Array.isArray(wantedTasks) ? await watchableTasks(deps.store, scope.agent, wantedTasks) : [];
      const tagged = { [SUBSCRIPTION_ID_META_KEY]: scope.id };
      scope.notify('notifications/subscriptions/acknowledged', {
        _meta: tagged,
        notifications: {
          ...(Array.isArray(wanted) ? { resourceSubscriptions: honored } : {}),
          ...(Array.isArray(wantedTasks) ? { taskIds: honoredTasks } : {}),
        },
      });
      const listener = `${scope.sessionId} listen ${JSON.stringify(scope.id)}`;
      for (const uri of honored) {
        deps.subscriptions.subscribe(listener, uri, (method, params) =>
          scope.notify(method, { ...params, _meta: tagged }),
        );
      }
      // A failing feed ends the task notifications only; the client can still poll tasks/get.
      const taskUpdates =
        honoredTasks.length === 0
          ? undefined
          : watchTasks(deps.store, honoredTasks).subscribe({
              next: (task) => {
                if (!scope.active.signal.aborted) scope.notify('notifications/tasks', { ...task, _meta: tagged });
              },
              error: () => undefined,
            });
      // The subscription lasts until the client ends it (cancellation, or closing the HTTP request).
      await new Promise<void>((resolve) => {
        if (scope.active.signal.aborted) resolve();
        else scope.active.signal.addEventListener('abort', () => resolve(), { once: true });
      });
      taskUpdates?.unsubscribe();
      deps.subscriptions.dropSession(listener);
      return ABANDONED;
    },
  };
};

/** bigint revisions become strings for JSON. */
const serializable = <T extends { revision: bigint }>(items: readonly T[]) =>
  items.map((item) => ({ ...item, revision: item.revision.toString() }));
