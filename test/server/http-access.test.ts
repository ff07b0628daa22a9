import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { DEFAULT_RATE_LIMIT, parseConfig } from '../../src/server/config.js';
import { accessStreamOf } from '../../src/server/http/access-log.js';
import { BearerTokens, generateToken, hashToken } from '../../src/server/http/bearer-tokens.js';
import { isLoopbackHost, parseListenAddress } from '../../src/server/http/listen-address.js';
import { isOriginAllowed } from '../../src/server/http/origin-policy.js';
import { renderMetrics } from '../../src/server/http/prometheus.js';
import { AgentRateLimits, TokenBucket } from '../../src/server/http/rate-limits.js';

describe('a token bucket', () => {
  it('admits a burst, then refuses with the wait until the next token, then refills', () => {
    const bucket = new TokenBucket(2, 3, 0);
    expect([bucket.take(0), bucket.take(0), bucket.take(0)]).toEqual([
      { admitted: true },
      { admitted: true },
      { admitted: true },
    ]);
    expect(bucket.take(0)).toEqual({ admitted: false, retryAfterMs: 500 });
    expect(bucket.take(250)).toEqual({ admitted: false, retryAfterMs: 250 });
    expect(bucket.take(500)).toEqual({ admitted: true });
    // A long pause refills to the burst, never beyond.
    for (let i = 0; i < 3; i++) expect(bucket.take(60_000).admitted).toBe(true);
    expect(bucket.take(60_000).admitted).toBe(false);
  });
});

describe("each agent's limits", () => {
  const settings = { alice: { requestsPerSecond: 1, burst: 1, maxConcurrentCalls: 2, maxSessions: 1 } };
  const limits = (now: () => number) =>
    new AgentRateLimits((agent) => settings[agent as keyof typeof settings] ?? DEFAULT_RATE_LIMIT, now);

  it('are counted per agent', () => {
    const perAgent = limits(() => 0);
    expect(perAgent.admitRequest('alice').admitted).toBe(true);
    expect(perAgent.admitRequest('alice').admitted).toBe(false);
    expect(perAgent.admitRequest('bob').admitted).toBe(true);
  });

  it('cap the calls in flight, and ending a call (once, however often it is called) frees its slot', () => {
    const perAgent = limits(() => 0);
    const first = perAgent.startCall('alice');
    const second = perAgent.startCall('alice');
    expect(perAgent.startCall('alice')).toEqual({ admitted: false, retryAfterMs: 1000 });
    if (!first.admitted || !second.admitted) throw new Error('the first two calls are admitted');
    first.end();
    first.end();
    expect(perAgent.callsInFlight('alice')).toBe(1);
    expect(perAgent.startCall('alice').admitted).toBe(true);
  });

  it('cap the sessions an agent holds open', () => {
    const perAgent = limits(() => 0);
    expect(perAgent.admitSession('alice', 0).admitted).toBe(true);
    expect(perAgent.admitSession('alice', 1).admitted).toBe(false);
  });
});

describe('the Origin check (DNS-rebinding protection)', () => {
  const allowed = ['https://app.example.com:443'];
  it.each([
    [undefined, true],
    ['http://localhost:6274', true],
    ['http://127.0.0.1:8080', true],
    ['http://[::1]:3000', true],
    ['https://app.example.com', true],
    ['https://evil.example', false],
    ['http://localhost.evil.example', false],
    ['null', false],
    ['file://', false],
  ])('Origin %s → allowed: %s', (origin, expected) => {
    expect(isOriginAllowed(origin, allowed)).toBe(expected);
  });
});

describe('--http HOST:PORT', () => {
  it.each([
    ['127.0.0.1:8080', { host: '127.0.0.1', port: 8080 }],
    ['[::1]:0', { host: '::1', port: 0 }],
    [':9000', { host: '127.0.0.1', port: 9000 }],
    ['9000', { host: '127.0.0.1', port: 9000 }],
    ['0.0.0.0:80', { host: '0.0.0.0', port: 80 }],
  ])('%s', (text, expected) => {
    expect(parseListenAddress(text)).toEqual(expected);
  });

  it.each(['127.0.0.1:99999', '127.0.0.1:http', '::1:80', 'bad host:80'])('refuses %s', (text) => {
    expect(() => parseListenAddress(text)).toThrow(/--http/);
  });

  it('knows which hosts only this machine can reach', () => {
    expect(['127.0.0.1', '127.1.2.3', '::1', '[::1]', 'localhost', '::ffff:127.0.0.1'].map(isLoopbackHost)).toEqual(
      Array(6).fill(true),
    );
    expect(['0.0.0.0', '::', '192.168.1.2', 'example.com'].map(isLoopbackHost)).toEqual(Array(4).fill(false));
  });
});

describe('bearer tokens', () => {
  const token = generateToken();
  const tokens = new BearerTokens(new Map([[hashToken(token), 'alice']]), undefined);

  it('name the agent whose token hash is configured', () => {
    expect(tokens.authenticate(`Bearer ${token}`)).toEqual({ kind: 'agent', agent: 'alice', via: 'token' });
    expect(tokens.authenticate(`bearer ${token}`)).toMatchObject({ agent: 'alice' });
  });

  it('refuse a missing, malformed or unknown token, keeping only a hash prefix of an unknown one', () => {
    expect(tokens.authenticate(undefined)).toEqual({ kind: 'refused', reason: 'missing_token' });
    expect(tokens.authenticate('Basic YWxpY2U6cHc=')).toEqual({ kind: 'refused', reason: 'malformed_authorization' });
    expect(tokens.authenticate('Bearer apex_unknown')).toEqual({
      kind: 'refused',
      reason: 'unknown_token',
      tokenHashPrefix: hashToken('apex_unknown').slice(0, 12),
    });
  });

  it('give requests without a token to the default agent, never one with a wrong token', () => {
    const withDefault = new BearerTokens(new Map(), 'alice');
    expect(withDefault.authenticate(undefined)).toEqual({ kind: 'agent', agent: 'alice', via: 'default_agent' });
    expect(withDefault.authenticate('Bearer apex_wrong')).toMatchObject({ kind: 'refused', reason: 'unknown_token' });
  });
});

describe('access streams', () => {
  it('are access-<agent>, or access for callers no agent could be named for', () => {
    expect(accessStreamOf('alice')).toBe('access-alice');
    expect(accessStreamOf(undefined)).toBe('access');
    expect(() => accessStreamOf('../bob')).toThrow(/invalid id/);
  });
});

describe('the configuration of HTTP access', () => {
  const hash = 'A'.repeat(64);
  const agents = { alice: { name: 'Alice', rateLimit: { burst: 7 } }, bob: { name: 'Bob' } };

  it('keys tokens by lowercase hash and merges rate limits: agent over limits over defaults', () => {
    const parsed = parseConfig({
      agents,
      tokens: { alice: [`sha256:${hash}`], bob: ['b'.repeat(64)] },
      limits: { rateLimit: { requestsPerSecond: 5 } },
    });
    if (E.isLeft(parsed)) throw parsed.left;
    expect([...parsed.right.tokens]).toEqual([
      ['a'.repeat(64), 'alice'],
      ['b'.repeat(64), 'bob'],
    ]);
    expect(parsed.right.agents.get('alice')?.rateLimit).toEqual({
      requestsPerSecond: 5,
      burst: 7,
      maxConcurrentCalls: DEFAULT_RATE_LIMIT.maxConcurrentCalls,
      maxSessions: DEFAULT_RATE_LIMIT.maxSessions,
    });
    expect(parsed.right.limits.rateLimit).toEqual({ ...DEFAULT_RATE_LIMIT, requestsPerSecond: 5 });
    expect(parsed.right.http.allowedOrigins).toEqual([]);
  });

  it.each([
    [{ agents, tokens: { zed: [hash] } }, 'tokens.zed: no agent "zed"'],
    [{ agents, tokens: { alice: [hash], bob: [hash.toLowerCase()] } }, 'also listed for "alice"'],
    [{ agents, tokens: { alice: ['not-a-hash'] } }, 'tokens.alice'],
    [{ agents, http: { allowedOrigins: ['https://a.example/path'] } }, 'http.allowedOrigins'],
    [{ agents, http: { allowedOrign: [] } }, 'http.allowedOrign: unknown field'],
  ])('refuses %j', (config, message) => {
    const parsed = parseConfig(config);
    expect(E.isLeft(parsed) && parsed.left.message).toContain(message);
  });
});

describe('the Prometheus text format', () => {
  it('writes HELP, TYPE and one line per sample, escaping label values', () => {
    expect(
      renderMetrics([
        {
          name: 'apex_x_total',
          help: 'An example.\nSecond line.',
          type: 'counter',
          samples: [{ labels: { agent: 'a"b\\c\nd' }, value: 3 }, { value: Number.POSITIVE_INFINITY }],
        },
      ]),
    ).toBe(
      [
        '# HELP apex_x_total An example.\\nSecond line.',
        '# TYPE apex_x_total counter',
        'apex_x_total{agent="a\\"b\\\\c\\nd"} 3',
        'apex_x_total +Inf',
        '',
      ].join('\n'),
    );
  });
});
