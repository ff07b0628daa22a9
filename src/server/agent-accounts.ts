import * as E from 'fp-ts/lib/Either.js';
import type { LedgerCommand } from '../domain/ledger/commands.js';
import {
  type AgentLedgerState,
  agentLedgerDecider,
  cloneLedgerState,
  evolveLedgerInPlace,
  type MutableLedgerState,
} from '../domain/ledger/decider.js';
import type { LedgerEvent } from '../domain/ledger/events.js';
import type { EventStore } from '../store/event-store.js';
import { streamName } from '../store/stream-name.js';
import type { Aggregate } from './aggregate.js';
import { AggregateCache } from './aggregate-cache.js';
import type { AgentSettings } from './config.js';
import { domainEventCodec } from './event-codec.js';

export type AgentAccount = Aggregate<LedgerCommand, LedgerEvent, AgentLedgerState>;

const ledgerCodec = domainEventCodec<LedgerEvent>();

/** Every agent's ledger aggregate; an agent never registered has the 'unregistered' state. */
export class AgentAccounts extends AggregateCache<LedgerCommand, LedgerEvent, AgentLedgerState> {
  constructor(store: EventStore) {
    super(store, streamName.agent, agentLedgerDecider, ledgerCodec, {
      clone: cloneLedgerState,
      evolve: (state, event) => evolveLedgerInPlace(state as MutableLedgerState, event),
    });
  }

  /**
   * Registers the configured agents that the log does not know yet, with their opening balance.
   * Safe when several processes start together on one store: the registration is appended at
   * `no_stream`, so exactly one process registers each agent and the others see it and move on.
   */
  async registerConfigured(agents: Iterable<AgentSettings>, timestamp = new Date().toISOString()): Promise<string[]> {
    const registered: string[] = [];
    for (const agent of agents) {
      const account = await this.get(agent.id);
      if (account.state.status !== 'unregistered') continue;
      const outcome = await account.execute(
        {
          type: 'RegisterAgent',
          data: {
            agentId: agent.id,
            name: agent.name,
            role: agent.role,
            systemPrompt: agent.systemPrompt,
            permissions: [...agent.permissions],
            debtLimit: agent.debtLimit,
            openingBalance: agent.balance,
          },
        },
        { agent: agent.id, timestamp, causationId: 'configuration' },
      );
      if (E.isRight(outcome)) registered.push(agent.id);
      else if (outcome.left.code !== 'AGENT_ALREADY_REGISTERED') throw new Error(outcome.left.message);
    }
    return registered;
  }
}
