import { describe, expect, it } from 'vitest';
import { MAX_REDACTION_DEPTH, REDACTED, redactParams, TRUNCATED } from '../../src/domain/session/redact.js';

const params = {
  name: 'search',
  arguments: { query: 'balance', apiKey: 'k-1', nested: [{ Authorization: 'Bearer x', page: 2 }] },
  _meta: { progressToken: 'p1', access_token: 'a', 'x-api-key': 'b', password: 'c', clientSecret: 'd' },
};

describe('redactParams', () => {
  it("'full' (the default) keeps everything but credential-like keys", () => {
    expect(redactParams(params)).toEqual({
      name: 'search',
      arguments: { query: 'balance', apiKey: REDACTED, nested: [{ Authorization: REDACTED, page: 2 }] },
      _meta: {
        progressToken: REDACTED,
        access_token: REDACTED,
        'x-api-key': REDACTED,
        password: REDACTED,
        clientSecret: REDACTED,
      },
    });
  });

  it("'full' keeps counts of tokens (sampling's maxTokens), which are not credentials", () => {
    expect(redactParams({ maxTokens: 256, usage: { input_tokens: 3 }, token: 't', accessTokens: ['t'] })).toEqual({
      maxTokens: 256,
      usage: { input_tokens: 3 },
      token: REDACTED,
      accessTokens: REDACTED,
    });
  });

  it("'full' returns a copy the caller can't alter afterwards", () => {
    const original = { query: { text: 'a' } };
    const recorded = redactParams(original, 'full') as { query: { text: string } };
    original.query.text = 'changed';
    expect(recorded.query.text).toBe('a');
  });

  it("'names-only' keeps the structure and replaces values by their JSON type", () => {
    expect(
      redactParams({ name: 'search', arguments: { q: 'x', n: 1, ok: true, none: null, list: ['a'] } }, 'names-only'),
    ).toEqual({
      name: 'string',
      arguments: { q: 'string', n: 'number', ok: 'boolean', none: 'null', list: ['string'] },
    });
  });

  it("'none' records nothing", () => {
    expect(redactParams(params, 'none')).toBeUndefined();
  });

  it('bounds the depth of what it copies', () => {
    let deep: unknown = 'bottom';
    for (let level = 0; level < MAX_REDACTION_DEPTH + 10; level++) deep = { level: deep };
    let recorded = redactParams(deep) as Record<string, unknown> | string;
    let depth = 0;
    while (typeof recorded === 'object') {
      recorded = recorded.level as Record<string, unknown> | string;
      depth++;
    }
    expect(recorded).toBe(TRUNCATED);
    expect(depth).toBe(MAX_REDACTION_DEPTH);
  });
});
