import type { MemoryEvent } from '../domain/memory/events.js';
import type { EventStore } from '../store/event-store.js';
import { streamName } from '../store/stream-name.js';
import { decodeRecorded } from './event-codec.js';

/** BM25's usual constants: term-frequency saturation and length normalisation. */
const BM25_K1 = 1.2;
const BM25_B = 0.75;

export interface Memory {
  readonly revision: bigint;
  readonly key?: string;
  readonly text: string;
  readonly tags: readonly string[];
  readonly storedAt: string;
}

export interface MemoryHit extends Memory {
  readonly score: number;
}

interface IndexedMemory extends Memory {
  readonly termCounts: ReadonlyMap<string, number>;
  readonly length: number;
}

const tokenize = (text: string): string[] => text.toLowerCase().match(/[\p{L}\p{N}]+/gu) ?? [];

const countTerms = (tokens: readonly string[]): Map<string, number> => {
  const counts = new Map<string, number>();
  for (const token of tokens) counts.set(token, (counts.get(token) ?? 0) + 1);
  return counts;
};

/**
 * One agent's memories with a lexical (BM25) ranking over their text and tags. It is lexical, not
 * semantic: it finds memories sharing words with the query. Kept in step with the agent's memory
 * stream by reading what is new before each query, so writes from other processes are seen too.
 */
class AgentMemoryIndex {
  private readonly memories: IndexedMemory[] = [];
  private readonly documentFrequency = new Map<string, number>();
  private totalLength = 0;
  private nextRevision = 0n;

  constructor(
    private readonly store: EventStore,
    private readonly stream: string,
  ) {}

  async refresh(): Promise<void> {
    for await (const recorded of this.store.readStream(this.stream, { fromRevision: this.nextRevision })) {
      const event = decodeRecorded(recorded) as MemoryEvent;
      if (event.type === 'MemoryStored') {
        const tokens = tokenize(`${event.data.text} ${event.data.tags.join(' ')}`);
        const termCounts = countTerms(tokens);
        for (const term of termCounts.keys()) {
          this.documentFrequency.set(term, (this.documentFrequency.get(term) ?? 0) + 1);
        }
        this.totalLength += tokens.length;
        this.memories.push({
          revision: recorded.revision,
          ...(event.data.key === undefined ? {} : { key: event.data.key }),
          text: event.data.text,
          tags: event.data.tags,
          storedAt: recorded.metadata.timestamp,
          termCounts,
          length: tokens.length,
        });
      }
      this.nextRevision = recorded.revision + 1n;
    }
  }

  recent(limit: number): Memory[] {
    return this.memories.slice(-limit).reverse().map(publicMemory);
  }

  search(query: string, limit: number): MemoryHit[] {
    const terms = [...new Set(tokenize(query))];
    const count = this.memories.length;
    if (terms.length === 0 || count === 0) return [];
    const averageLength = this.totalLength / count || 1;
    const hits: MemoryHit[] = [];
    for (const memory of this.memories) {
      let score = 0;
      for (const term of terms) {
        const frequency = memory.termCounts.get(term);
        if (frequency === undefined) continue;
        const documents = this.documentFrequency.get(term) ?? 0;
        const idf = Math.log(1 + (count - documents + 0.5) / (documents + 0.5));
        score +=
          (idf * frequency * (BM25_K1 + 1)) /
          (frequency + BM25_K1 * (1 - BM25_B + (BM25_B * memory.length) / averageLength));
      }
      if (score > 0) hits.push({ ...publicMemory(memory), score: Math.round(score * 1e6) / 1e6 });
    }
    return hits.sort((a, b) => b.score - a.score || Number(b.revision - a.revision)).slice(0, limit);
  }
}

const publicMemory = (memory: IndexedMemory): Memory => ({
  revision: memory.revision,
  ...(memory.key === undefined ? {} : { key: memory.key }),
  text: memory.text,
  tags: memory.tags,
  storedAt: memory.storedAt,
});

/** Every agent's memory index, created on first use. */
export class MemoryIndex {
  private readonly agents = new Map<string, AgentMemoryIndex>();

  constructor(private readonly store: EventStore) {}

  private of(agentId: string): AgentMemoryIndex {
    let index = this.agents.get(agentId);
    if (index === undefined) {
      index = new AgentMemoryIndex(this.store, streamName.memory(agentId));
      this.agents.set(agentId, index);
    }
    return index;
  }

  async search(agentId: string, query: string, limit: number): Promise<MemoryHit[]> {
    const index = this.of(agentId);
    await index.refresh();
    return index.search(query, limit);
  }

  async recent(agentId: string, limit: number): Promise<Memory[]> {
    const index = this.of(agentId);
    await index.refresh();
    return index.recent(limit);
  }
}
