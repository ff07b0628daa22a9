import * as E from 'fp-ts/lib/Either.js';
import type { Decider } from '../decider.js';
import { type DomainError, domainError } from '../errors.js';
import type { MemoryEvent } from './events.js';

/** Bounds on one memory, so an agent can't fill the log through memory_store. */
export const MAX_MEMORY_TEXT_LENGTH = 16_384;
export const MAX_MEMORY_TAGS = 32;
export const MAX_MEMORY_TAG_LENGTH = 64;

export type MemoryCommand = {
  readonly type: 'StoreMemory';
  readonly data: { readonly key?: string; readonly text: string; readonly tags: readonly string[] };
};

export interface MemoryState {
  readonly memories: number;
}

const refuse = (message: string): E.Either<DomainError, MemoryEvent[]> => E.left(domainError('MEMORY_ERROR', message));

export const decideMemory = (command: MemoryCommand): E.Either<DomainError, MemoryEvent[]> => {
  const { key, text, tags } = command.data;
  if (text.trim() === '') return refuse('A memory needs some text; send a non-empty "text".');
  if (text.length > MAX_MEMORY_TEXT_LENGTH) {
    return refuse(`A memory holds at most ${MAX_MEMORY_TEXT_LENGTH} characters; split the text or summarise it.`);
  }
  if (tags.length > MAX_MEMORY_TAGS) return refuse(`A memory has at most ${MAX_MEMORY_TAGS} tags.`);
  if (tags.some((tag) => tag.length === 0 || tag.length > MAX_MEMORY_TAG_LENGTH)) {
    return refuse(`Each tag has between 1 and ${MAX_MEMORY_TAG_LENGTH} characters.`);
  }
  const data = key === undefined ? { text, tags: [...tags] } : { key, text, tags: [...tags] };
  return E.right([{ type: 'MemoryStored', data }]);
};

export const memoryDecider: Decider<MemoryCommand, MemoryEvent, MemoryState> = {
  initialState: () => ({ memories: 0 }),
  evolve: (state) => ({ memories: state.memories + 1 }),
  decide: decideMemory,
};
