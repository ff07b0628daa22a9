import * as E from 'fp-ts/lib/Either.js';
import { type MemoryCommand, type MemoryState, memoryDecider } from '../../domain/memory/decider.js';
import type { MemoryEvent } from '../../domain/memory/events.js';
import type { EventStore } from '../../store/event-store.js';
import { streamName } from '../../store/stream-name.js';
import type { AgentAccounts } from '../agent-accounts.js';
import { AggregateCache } from '../aggregate-cache.js';
import { domainEventCodec } from '../event-codec.js';
import { ledgerHistory, ledgerView, MAX_HISTORY } from '../ledger-view.js';
import type { MemoryIndex } from '../memory-index.js';
import { FREE, type ToolDefinition, textResult, toolError } from './tool-definition.js';

/** memory_search returns at most this many hits. */
const MAX_SEARCH_RESULTS = 50;

export interface BuiltinToolDependencies {
  readonly store: EventStore;
  readonly accounts: AgentAccounts;
  readonly memoryIndex: MemoryIndex;
}

export type MemoryStreams = AggregateCache<MemoryCommand, MemoryEvent, MemoryState>;

export const memoryStreams = (store: EventStore): MemoryStreams =>
  new AggregateCache(store, streamName.memory, memoryDecider, domainEventCodec<MemoryEvent>());

const json = (value: unknown): string => JSON.stringify(value, null, 2);

/** The tools every APEX offers: the caller's own ledger, and a per-agent memory kept as events. */
export const builtinTools = ({ store, accounts, memoryIndex }: BuiltinToolDependencies): ToolDefinition[] => {
  const memories = memoryStreams(store);
  return [
    {
      name: 'ledger_balance',
      title: 'Ledger balance',
      description:
        'Your account: balance, reserved funds, debt limit, status (active, pip, suspended) and latest movements.',
      inputSchema: { type: 'object', properties: {}, additionalProperties: false },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      category: 'ledger',
      permissions: [],
      price: FREE,
      run: async (_args, context) => {
        const view = await ledgerView(accounts, store, context.agent, 5);
        return textResult(json(view), view);
      },
    },
    {
      name: 'ledger_history',
      title: 'Ledger history',
      description: 'The latest movements of your account, newest first, with the correlation id of each request.',
      inputSchema: {
        type: 'object',
        properties: { limit: { type: 'integer', minimum: 1, maximum: MAX_HISTORY, default: 50 } },
        additionalProperties: false,
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      category: 'ledger',
      permissions: [],
      price: FREE,
      run: async (args, context) => {
        const limit = typeof args.limit === 'number' ? args.limit : 50;
        const movements = await ledgerHistory(store, context.agent, limit);
        return textResult(json(movements), { movements });
      },
    },
    {
      name: 'memory_store',
      title: 'Store a memory',
      description: 'Remembers a piece of text (with optional key and tags) in your own memory, kept as an event.',
      inputSchema: {
        type: 'object',
        properties: {
          text: { type: 'string', minLength: 1 },
          key: { type: 'string' },
          tags: { type: 'array', items: { type: 'string' } },
        },
        required: ['text'],
        additionalProperties: false,
      },
      annotations: { readOnlyHint: false, destructiveHint: false, openWorldHint: false },
      category: 'memory',
      permissions: [],
      price: FREE,
      run: async (args, context) => {
        const memory = await memories.get(context.agent);
        const outcome = await memory.execute(
          {
            type: 'StoreMemory',
            data: {
              text: String(args.text),
              tags: Array.isArray(args.tags) ? args.tags.map(String) : [],
              ...(typeof args.key === 'string' ? { key: args.key } : {}),
            },
          },
          { agent: context.agent, correlationId: context.correlationId, timestamp: new Date().toISOString() },
        );
        if (E.isLeft(outcome)) return toolError(outcome.left.message);
        return textResult(`stored memory #${memory.revision}`, { revision: memory.revision.toString() });
      },
    },
    {
      name: 'memory_search',
      title: 'Search memories',
      description:
        'Searches your memories by the words they share with the query (lexical BM25 ranking, not semantic).',
      inputSchema: {
        type: 'object',
        properties: {
          query: { type: 'string', minLength: 1 },
          limit: { type: 'integer', minimum: 1, maximum: MAX_SEARCH_RESULTS, default: 10 },
        },
        required: ['query'],
        additionalProperties: false,
      },
      annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
      category: 'memory',
      permissions: [],
      price: FREE,
      run: async (args, context) => {
        const limit = typeof args.limit === 'number' ? args.limit : 10;
        const hits = await memoryIndex.search(context.agent, String(args.query), limit);
        const results = hits.map((hit) => ({ ...hit, revision: hit.revision.toString() }));
        return textResult(json(results), { results });
      },
    },
  ];
};
