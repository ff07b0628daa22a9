import * as t from 'io-ts';
import { defineEvent, type EventOf, withOptional } from '../event-definition.js';

/** Something an agent asked to remember (stream `memory-<agent id>`), for memory_store / memory_search. */
export const MemoryStored = defineEvent(
  'MemoryStored',
  1,
  withOptional({ text: t.string, tags: t.array(t.string) }, { key: t.string }),
);

export const MEMORY_EVENT_DEFINITIONS = [MemoryStored] as const;

export type MemoryEvent = EventOf<(typeof MEMORY_EVENT_DEFINITIONS)[number]>;
