import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import type { JsonRpcError } from '../../src/protocol/index.js';
import {
  claimedProtocolVersion,
  claimsModernEra,
  declaresTasksExtension,
  decodeModernEnvelope,
  MODERN_META_KEYS,
  type ModernEnvelope,
  TASKS_EXTENSION_ID,
} from '../../src/protocol/modern-envelope.js';

const PV = MODERN_META_KEYS.protocolVersion;
const CAPS = MODERN_META_KEYS.clientCapabilities;
const INFO = MODERN_META_KEYS.clientInfo;
const LEVEL = MODERN_META_KEYS.logLevel;

const withMeta = (meta: Record<string, unknown>, rest: Record<string, unknown> = {}) => ({ ...rest, _meta: meta });
const minimal = { [PV]: '2026-07-28', [CAPS]: {} };

const decoded = (params: unknown): ModernEnvelope => {
  const result = decodeModernEnvelope(params);
  if (E.isLeft(result)) throw new Error(`expected an envelope, got ${JSON.stringify(result.left)}`);
  return result.right;
};

const refused = (params: unknown): JsonRpcError => {
  const result = decodeModernEnvelope(params);
  if (E.isRight(result)) throw new Error(`expected a refusal, got ${JSON.stringify(result.right)}`);
  return result.left;
};

describe('decodeModernEnvelope', () => {
  it('reads every key under plain names', () => {
    const envelope = decoded(
      withMeta(
        {
          [PV]: '2026-07-28',
          [CAPS]: { sampling: {}, elicitation: { form: {} } },
          [INFO]: { name: 'client', version: '2.4.0', title: 'A client' },
          [LEVEL]: 'warning',
          progressToken: 'p-1',
        },
        { name: 'echo', arguments: {} },
      ),
    );
    expect(envelope).toEqual({
      protocolVersion: '2026-07-28',
      clientCapabilities: { sampling: {}, elicitation: { form: {} } },
      clientInfo: { name: 'client', version: '2.4.0', title: 'A client' },
      logLevel: 'warning',
      progressToken: 'p-1',
    });
  });

  it('needs only the version and the capabilities; clientInfo is optional', () => {
    expect(decoded(withMeta(minimal))).toEqual({ protocolVersion: '2026-07-28', clientCapabilities: {} });
  });

  it('tolerates unknown capability members and unknown _meta keys', () => {
    const envelope = decoded(
      withMeta({
        [PV]: '2026-07-28',
        [CAPS]: { roots: { listChanged: true }, futureThing: { x: 1 }, extensions: { [TASKS_EXTENSION_ID]: {} } },
        traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01',
        'example.com/custom': 42,
      }),
    );
    expect(envelope.clientCapabilities).toMatchObject({ roots: { listChanged: true }, futureThing: { x: 1 } });
  });

  it('accepts an integer progress token', () => {
    expect(decoded(withMeta({ ...minimal, progressToken: 7 })).progressToken).toBe(7);
  });

  it.each([
    ['no params at all', undefined],
    ['params without _meta', { name: 'echo' }],
    ['a _meta that is not an object', { _meta: 'v' }],
    ['a _meta that is an array', { _meta: [] }],
    ['params that are an array', [1, 2]],
  ])('refuses %s with -32602 naming both required keys', (_label, params) => {
    const error = refused(params);
    expect(error.code).toBe(-32602);
    expect(error.data).toEqual({ path: 'params._meta', missing: [PV, CAPS] });
    expect(error.message).toContain('params._meta is missing');
  });

  it.each([
    ['the protocol version', { [CAPS]: {} }, [PV]],
    ['the client capabilities', { [PV]: '2026-07-28' }, [CAPS]],
    ['both', { [INFO]: { name: 'c', version: '1' } }, [PV, CAPS]],
  ])('refuses a _meta without %s, naming what is missing', (_label, meta, missing) => {
    const error = refused(withMeta(meta));
    expect(error.code).toBe(-32602);
    expect(error.data).toEqual({ path: 'params._meta', missing });
    for (const key of missing) expect(error.message).toContain(key);
  });

  it.each([
    ['a numeric protocol version', { ...minimal, [PV]: 20260728 }, PV, 'a string'],
    ['capabilities as a list', { ...minimal, [CAPS]: ['sampling'] }, CAPS, 'an object'],
    ['capabilities as null', { ...minimal, [CAPS]: null }, CAPS, 'an object'],
    ['a clientInfo without version', { ...minimal, [INFO]: { name: 'c' } }, `${INFO}"].version`, 'required'],
    ['an unknown log level', { ...minimal, [LEVEL]: 'verbose' }, LEVEL, 'one of debug, info'],
    ['a fractional progress token', { ...minimal, progressToken: 1.5 }, 'progressToken', 'a string or an integer'],
  ])('refuses %s with -32602 whose path names the key', (_label, meta, key, expected) => {
    const error = refused(withMeta(meta));
    expect(error.code).toBe(-32602);
    expect((error.data as { path: string }).path).toContain(key);
    expect(error.message).toContain(expected);
  });
});

describe('claimsModernEra', () => {
  it.each([
    [withMeta(minimal), true],
    [withMeta({ [PV]: 'v999.0.0' }), true],
    // The claim is the key itself: a null or ill-typed version still claims, and is then refused.
    [withMeta({ [PV]: null }), true],
    [withMeta({ progressToken: 1 }), false],
    [{ protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } }, false],
    [{ _meta: [PV] }, false],
    [undefined, false],
    [[withMeta(minimal)], false],
  ])('%j → %s', (params, expected) => {
    expect(claimsModernEra(params)).toBe(expected);
  });

  it('claimedProtocolVersion reads the version only when it is a string', () => {
    expect(claimedProtocolVersion(withMeta(minimal))).toBe('2026-07-28');
    expect(claimedProtocolVersion(withMeta({ [PV]: 5 }))).toBeUndefined();
    expect(claimedProtocolVersion({})).toBeUndefined();
  });
});

describe('declaresTasksExtension', () => {
  it('is true only when this request lists the extension', () => {
    const withCaps = (caps: Record<string, unknown>) => decoded(withMeta({ [PV]: '2026-07-28', [CAPS]: caps }));
    expect(declaresTasksExtension(withCaps({ extensions: { [TASKS_EXTENSION_ID]: {} } }).clientCapabilities)).toBe(
      true,
    );
    expect(declaresTasksExtension(withCaps({ extensions: { 'other/ext': {} } }).clientCapabilities)).toBe(false);
    expect(declaresTasksExtension(withCaps({ tasks: {} }).clientCapabilities)).toBe(false);
    expect(declaresTasksExtension(withCaps({}).clientCapabilities)).toBe(false);
  });
});
