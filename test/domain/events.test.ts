import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import { describe, expect, it } from 'vitest';
import { defineEvent } from '../../src/domain/event-definition.js';
import { createEventRegistry, type DomainEvent, decodeEvent, encodeEvent } from '../../src/domain/events.js';
import { apx } from '../../src/domain/money.js';

describe('encodeEvent / decodeEvent', () => {
  const charged: DomainEvent = {
    type: 'ToolCallCharged',
    data: {
      reservationId: 'r1',
      tool: 'search',
      amount: apx('12.5'),
      reservedAmount: apx('10'),
      durationMs: 1500,
      correlationId: 's1:1',
      from: 'agent-alice',
      to: 'system-bank',
    },
  };

  it('encodes money as six-decimal strings, JSON-ready, at the current schema version', () => {
    const encoded = encodeEvent(charged);
    expect(encoded).toEqual({
      type: 'ToolCallCharged',
      schemaVersion: 1,
      data: { ...charged.data, amount: '12.500000', reservedAmount: '10.000000' },
    });
    expect(() => JSON.stringify(encoded)).not.toThrow();
  });

  it('decodes what it encoded, through JSON', () => {
    const { type, schemaVersion, data } = encodeEvent(charged);
    expect(decodeEvent(type, schemaVersion, JSON.parse(JSON.stringify(data)))).toEqual(E.right(charged));
  });

  it('refuses unknown types, unknown versions and malformed data', () => {
    expect(E.isLeft(decodeEvent('SomethingElse', 1, {}))).toBe(true);
    expect(E.isLeft(decodeEvent('ToolCallCharged', 2, encodeEvent(charged).data))).toBe(true);
    expect(E.isLeft(decodeEvent('ToolCallCharged', 0, encodeEvent(charged).data))).toBe(true);
    expect(
      E.isLeft(decodeEvent('ToolCallCharged', 1, { ...(encodeEvent(charged).data as object), amount: '1e3' })),
    ).toBe(true);
  });

  it('brings older schema versions up to date through the upcasters', () => {
    // A made-up evolution: v1 had `note`, v2 calls it `reason`, v3 adds `severity`.
    const Noted = defineEvent('Noted', 3, t.type({ reason: t.string, severity: t.number }), {
      1: (data) => ({ reason: (data as { note: string }).note }),
      2: (data) => ({ ...(data as object), severity: 0 }),
    });
    const registry = createEventRegistry<{ type: 'Noted'; data: { reason: string; severity: number } }>([Noted]);
    expect(registry.decodeEvent('Noted', 1, { note: 'hi' })).toEqual(
      E.right({ type: 'Noted', data: { reason: 'hi', severity: 0 } }),
    );
    expect(registry.decodeEvent('Noted', 2, { reason: 'hi' })).toEqual(
      E.right({ type: 'Noted', data: { reason: 'hi', severity: 0 } }),
    );
    expect(registry.encodeEvent({ type: 'Noted', data: { reason: 'hi', severity: 1 } }).schemaVersion).toBe(3);
  });

  it('refuses an old version that has no upcaster', () => {
    const Gapped = defineEvent('Gapped', 2, t.type({ a: t.string }));
    const registry = createEventRegistry([Gapped]);
    expect(E.isLeft(registry.decodeEvent('Gapped', 1, { a: 'x' }))).toBe(true);
  });
});
