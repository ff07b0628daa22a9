import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { EventStore } from './event-store.js';
import type { Durability, StoreWriter } from './sqlite/index.js';
import { openSqliteStore } from './sqlite/index.js';

export const DEFAULT_STORE_URL = 'sqlite:./apex-data/events.db';

export class InvalidStoreUrl extends Error {
  override readonly name = 'InvalidStoreUrl';
}

export type StoreLocation =
  | { readonly engine: 'sqlite'; readonly path: string; readonly durability: Durability; readonly writer: StoreWriter }
  | { readonly engine: 'eventstoredb'; readonly connectionString: string };

/**
 * `sqlite:PATH[?durability=durable|normal&writer=thread|inline]`, `sqlite::memory:`, or an
 * EventStoreDB / KurrentDB connection string. `durable` (default) survives power loss; `normal`
 * survives a process crash. `writer=inline` (default) commits on the main thread; `thread` on a
 * writer thread of its own (ADR 0012).
 */
export const parseStoreUrl = (url: string): StoreLocation => {
  if (url.startsWith('sqlite:')) {
    const [path = '', query] = url.slice('sqlite:'.length).split('?', 2);
    if (path === '') {
      throw new InvalidStoreUrl('sqlite: needs a path, e.g. sqlite:./apex-data/events.db or sqlite::memory:');
    }
    const settings = new URLSearchParams(query ?? '');
    const durability = settings.get('durability') ?? 'durable';
    if (durability !== 'durable' && durability !== 'normal') {
      throw new InvalidStoreUrl(`durability=${durability} is unknown: use durable (the default) or normal`);
    }
    const writer = settings.get('writer') ?? 'inline';
    if (writer !== 'thread' && writer !== 'inline') {
      throw new InvalidStoreUrl(`writer=${writer} is unknown: use inline (the default) or thread`);
    }
    return { engine: 'sqlite', path, durability, writer };
  }
  if (/^(esdb|esdb\+discover|kurrentdb|kurrentdb\+discover|kdb|kdb\+discover):\/\//.test(url)) {
    return { engine: 'eventstoredb', connectionString: url };
  }
  throw new InvalidStoreUrl(
    `unknown store URL ${JSON.stringify(url)}: use sqlite:PATH, sqlite::memory:, esdb://HOST:PORT or kurrentdb://HOST:PORT`,
  );
};

/** Opens the store a URL names; the SQLite file's folder is created when missing. */
export const openStore = async (url: string): Promise<EventStore> => {
  const location = parseStoreUrl(url);
  if (location.engine === 'sqlite') {
    if (location.path !== ':memory:') mkdirSync(dirname(location.path), { recursive: true });
    return openSqliteStore({ path: location.path, durability: location.durability, writer: location.writer });
  }
  // Loaded only when asked for, so the embedded default does not pay for the gRPC client.
  const { openEventStoreDbStore } = await import('./eventstoredb/index.js');
  return openEventStoreDbStore(location.connectionString);
};
