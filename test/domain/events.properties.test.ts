import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeEvent, EVENT_REGISTRY, encodeEvent } from '../../src/domain/events.js';
import { domainEvent, EVENT_TYPES_WITH_ARBITRARIES } from './support/arbitraries.js';

describe('every event', () => {
  it('has an arbitrary here, so the round trip below covers the whole registry', () => {
    expect([...EVENT_TYPES_WITH_ARBITRARIES].sort()).toEqual([...EVENT_REGISTRY.keys()].sort());
  });

  it('round-trips encode → JSON → decode', () => {
    fc.assert(
      fc.property(domainEvent, (event) => {
        const encoded = encodeEvent(event);
        const stored = JSON.parse(JSON.stringify(encoded.data));
        expect(decodeEvent(encoded.type, encoded.schemaVersion, stored)).toEqual(E.right(event));
      }),
      { numRuns: 500 },
    );
  });
});
