import { describe, expect, it } from 'vitest';
import { InvalidStoreUrl, parseStoreUrl } from '../../src/store/open-store.js';

describe('parseStoreUrl', () => {
  it('defaults a SQLite file to durable commits on the main thread', () => {
    expect(parseStoreUrl('sqlite:./apex-data/events.db')).toEqual({
      engine: 'sqlite',
      path: './apex-data/events.db',
      durability: 'durable',
      writer: 'inline',
    });
  });

  it('takes durability and writer from the query', () => {
    expect(parseStoreUrl('sqlite:/tmp/a.db?durability=normal&writer=thread')).toMatchObject({
      path: '/tmp/a.db',
      durability: 'normal',
      writer: 'thread',
    });
  });

  it('refuses an unknown writer or durability, naming the setting', () => {
    expect(() => parseStoreUrl('sqlite:/tmp/a.db?writer=fast')).toThrow(InvalidStoreUrl);
    expect(() => parseStoreUrl('sqlite:/tmp/a.db?writer=fast')).toThrow(/writer=fast/);
    expect(() => parseStoreUrl('sqlite:/tmp/a.db?durability=maybe')).toThrow(/durability=maybe/);
  });

  it('recognises EventStoreDB and KurrentDB connection strings', () => {
    expect(parseStoreUrl('esdb://localhost:2113?tls=false')).toEqual({
      engine: 'eventstoredb',
      connectionString: 'esdb://localhost:2113?tls=false',
    });
    expect(parseStoreUrl('kurrentdb+discover://a,b,c')).toMatchObject({ engine: 'eventstoredb' });
  });
});
