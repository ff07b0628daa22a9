import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { MODERN_META_KEYS } from '../../src/protocol/modern-envelope.js';
import {
  classifyModernHttpRequest,
  decodeHeaderValue,
  type HttpMessageBody,
  headerLookupOf,
  type ModernHttpBody,
  paramHeaderDeclarations,
  validateModernHeaders,
} from '../../src/protocol/modern-headers.js';

const PV = MODERN_META_KEYS.protocolVersion;
const CAPS = MODERN_META_KEYS.clientCapabilities;
const MODERN = '2026-07-28';
const base64 = (text: string) => `=?base64?${Buffer.from(text, 'utf8').toString('base64')}?=`;

const meta = (version: string = MODERN) => ({ [PV]: version, [CAPS]: {} });
const request = (method: string, params: Record<string, unknown> = {}, version?: string): ModernHttpBody => ({
  method,
  params: { _meta: meta(version), ...params },
});

type Headers = Record<string, string | undefined>;

/** What a conforming client sends for `body`, before a test bends it. */
const headersFor = (body: ModernHttpBody, extra: Headers = {}): Headers => {
  const params = body.params as Record<string, unknown>;
  const name = params.name ?? params.uri ?? params.taskId;
  return {
    'MCP-Protocol-Version': MODERN,
    'Mcp-Method': body.method,
    ...(typeof name === 'string' ? { 'Mcp-Name': name } : {}),
    ...extra,
  };
};

const validate = (body: ModernHttpBody, headers: Headers, schema?: object) =>
  validateModernHeaders(headerLookupOf(headers), body, schema);

const expectPass = (result: E.Either<unknown, unknown>) => {
  if (E.isLeft(result)) throw new Error(`expected a pass, got ${JSON.stringify(result.left)}`);
};

const expectMismatch = (result: E.Either<{ code: number; data?: unknown }, unknown>, header: string) => {
  if (E.isRight(result)) throw new Error(`expected -32020 on ${header}, got a pass`);
  expect(result.left.code).toBe(-32020);
  expect(result.left.data).toEqual({ header });
};

describe('decodeHeaderValue', () => {
  it.each([
    ['plain', 'plain'],
    ['', ''],
    ['with inner space', 'with inner space'],
    [base64('Zürich'), 'Zürich'],
    [base64('  padded  '), '  padded  '],
    [base64('=?base64?looks like one?='), '=?base64?looks like one?='],
    [base64(''), ''],
  ])('%j → %j', (value, decoded) => {
    expect(decodeHeaderValue(value)).toBe(decoded);
  });

  it.each([
    ['a payload that is not Base64', '=?base64?not base64!?='],
    ['a payload with non-canonical padding bits', '=?base64?QR==?='],
    ['a payload without its padding', '=?base64?QQ?='],
    ['a payload that is not UTF-8', `=?base64?${Buffer.from([0xff, 0xfe]).toString('base64')}?=`],
    ['a bare sentinel prefix', '=?base64?='],
    ['raw non-ASCII', 'Zürich'],
    ['a control character', 'a\u0001b'],
  ])('refuses %s', (_label, value) => {
    expect(decodeHeaderValue(value)).toBeUndefined();
  });
});

describe('validateModernHeaders: the standard headers', () => {
  const body = request('tools/call', { name: 'echo', arguments: {} });

  it('passes a request whose headers repeat its body', () => expectPass(validate(body, headersFor(body))));

  it('matches header names in any case', () =>
    expectPass(validate(body, { 'mcp-protocol-version': MODERN, 'MCP-METHOD': 'tools/call', 'mCp-NaMe': 'echo' })));

  it('trims optional whitespace around values', () =>
    expectPass(
      validate(body, { 'MCP-Protocol-Version': ` ${MODERN}\t`, 'Mcp-Method': ' tools/call', 'Mcp-Name': 'echo ' }),
    ));

  it('trims in linear time: a long run of inner whitespace is just a wrong value', () =>
    expectMismatch(validate(body, { ...headersFor(body), 'Mcp-Name': `e${' \t'.repeat(100_000)}x` }), 'Mcp-Name'));

  it.each<[string, Headers, string]>([
    ['MCP-Protocol-Version missing', { 'MCP-Protocol-Version': undefined }, 'MCP-Protocol-Version'],
    ['MCP-Protocol-Version different', { 'MCP-Protocol-Version': '2026-08-01' }, 'MCP-Protocol-Version'],
    ['Mcp-Method missing', { 'Mcp-Method': undefined }, 'Mcp-Method'],
    ['Mcp-Method another method', { 'Mcp-Method': 'tasks/get' }, 'Mcp-Method'],
    ['Mcp-Method in another case', { 'Mcp-Method': 'Tools/Call' }, 'Mcp-Method'],
    ['Mcp-Name missing', { 'Mcp-Name': undefined }, 'Mcp-Name'],
    ['Mcp-Name another tool', { 'Mcp-Name': 'other' }, 'Mcp-Name'],
    ['Mcp-Name in another case', { 'Mcp-Name': 'ECHO' }, 'Mcp-Name'],
    ['Mcp-Name with a broken sentinel', { 'Mcp-Name': '=?base64?%%%?=' }, 'Mcp-Name'],
    ['Mcp-Name with raw non-ASCII', { 'Mcp-Name': 'échø' }, 'Mcp-Name'],
    // Both wrong: the first rule in order answers.
    ['both version and method wrong', { 'MCP-Protocol-Version': 'x', 'Mcp-Method': 'y' }, 'MCP-Protocol-Version'],
  ])('refuses %s', (_label, bent, header) => {
    expectMismatch(validate(body, { ...headersFor(body), ...bent }), header);
  });

  it('says what disagrees, and with what', () => {
    const result = validate(body, { ...headersFor(body), 'Mcp-Name': 'other' });
    expect(E.isLeft(result) && result.left.message).toBe(
      'Header mismatch: the Mcp-Name header says "other" but params.name is "echo". ' +
        'Send it with the value the request body carries.',
    );
  });

  it.each([
    ['tools/call', { name: 'echo' }, 'echo'],
    ['prompts/get', { name: 'greeting' }, 'greeting'],
    ['resources/read', { uri: 'test://static-text' }, 'test://static-text'],
    ['tasks/get', { taskId: 't-1' }, 't-1'],
    ['tasks/update', { taskId: 't-1', inputResponses: {} }, 't-1'],
    ['tasks/cancel', { taskId: 't-1' }, 't-1'],
  ])('%s needs Mcp-Name = %j', (method, params, name) => {
    const body = request(method, params);
    expectPass(validate(body, headersFor(body)));
    expectPass(validate(body, { ...headersFor(body), 'Mcp-Name': base64(name) }));
    expectMismatch(validate(body, { ...headersFor(body), 'Mcp-Name': undefined }), 'Mcp-Name');
    expectMismatch(validate(body, { ...headersFor(body), 'Mcp-Name': `${name}x` }), 'Mcp-Name');
  });

  it('decodes a Base64 name before comparing (non-ASCII, or spaces that trimming would eat)', () => {
    const body = request('resources/read', { uri: 'file:///Zürich notes ' });
    expectPass(validate(body, { ...headersFor(body), 'Mcp-Name': base64('file:///Zürich notes ') }));
  });

  it.each(['tools/list', 'prompts/list', 'server/discover', 'subscriptions/listen', 'completion/complete'])(
    '%s needs no Mcp-Name, and one sent is not checked',
    (method) => {
      const body = request(method);
      expectPass(validate(body, { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': method }));
      expectPass(validate(body, { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': method, 'Mcp-Name': 'anything' }));
    },
  );

  it('leaves a body without the named field to params validation', () => {
    const body = request('tools/call', { arguments: {} });
    expectPass(validate(body, { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tools/call' }));
  });
});

describe('validateModernHeaders: Mcp-Param-{Name}', () => {
  const schema = {
    type: 'object',
    properties: {
      region: { type: 'string', 'x-mcp-header': 'Region' },
      count: { type: 'integer', 'x-mcp-header': 'Count' },
      dryRun: { type: 'boolean', 'x-mcp-header': 'DryRun' },
      target: { type: 'object', properties: { zone: { type: 'string', 'x-mcp-header': 'Zone' } } },
      note: { type: 'string' },
    },
  };
  const args = { region: 'us-west1', count: 42, dryRun: true, target: { zone: 'b' }, note: 'n' };
  const body = request('tools/call', { name: 'deploy', arguments: args });
  const allParams = {
    'Mcp-Param-Region': 'us-west1',
    'Mcp-Param-Count': '42',
    'Mcp-Param-DryRun': 'true',
    'Mcp-Param-Zone': 'b',
  };
  const sent = (bent: Headers = {}, bodyArgs: Record<string, unknown> = args) => {
    const call = request('tools/call', { name: 'deploy', arguments: bodyArgs });
    return validate(call, { ...headersFor(call), ...allParams, ...bent }, schema);
  };

  it('finds the declarations, nested ones too', () => {
    expect(paramHeaderDeclarations(schema)).toEqual([
      { name: 'Region', path: ['region'] },
      { name: 'Count', path: ['count'] },
      { name: 'DryRun', path: ['dryRun'] },
      { name: 'Zone', path: ['target', 'zone'] },
    ]);
    expect(paramHeaderDeclarations({ type: 'object' })).toEqual([]);
    expect(paramHeaderDeclarations({ properties: { a: { 'x-mcp-header': 7 } } })).toEqual([]);
  });

  it('passes when every declared argument is repeated', () => expectPass(sent()));

  it('matches Mcp-Param names in any case', () =>
    expectPass(sent({ 'Mcp-Param-Region': undefined, 'mcp-param-region': 'us-west1' })));

  it.each<[string, Headers]>([
    ['an integer written with a fraction', { 'Mcp-Param-Count': '42.0' }],
    ['an integer with whitespace around it', { 'Mcp-Param-Count': ' 42 ' }],
    ['a Base64-encoded string', { 'Mcp-Param-Region': base64('us-west1') }],
  ])('accepts %s', (_label, bent) => expectPass(sent(bent)));

  it.each<[string, Headers, string]>([
    ['a missing string header', { 'Mcp-Param-Region': undefined }, 'Mcp-Param-Region'],
    ['a different string', { 'Mcp-Param-Region': 'eu-west1' }, 'Mcp-Param-Region'],
    ['a different integer', { 'Mcp-Param-Count': '43' }, 'Mcp-Param-Count'],
    ['an integer header that is not a number', { 'Mcp-Param-Count': 'forty-two' }, 'Mcp-Param-Count'],
    ['an integer header in exponent form', { 'Mcp-Param-Count': '4.2e1' }, 'Mcp-Param-Count'],
    ['a boolean in another case', { 'Mcp-Param-DryRun': 'True' }, 'Mcp-Param-DryRun'],
    ['a missing boolean', { 'Mcp-Param-DryRun': undefined }, 'Mcp-Param-DryRun'],
    ['a nested argument missing', { 'Mcp-Param-Zone': undefined }, 'Mcp-Param-Zone'],
    ['an invalid sentinel', { 'Mcp-Param-Region': '=?base64?dXMtd2VzdDE?=' }, 'Mcp-Param-Region'],
  ])('refuses %s', (_label, bent, header) => expectMismatch(sent(bent), header));

  it('does not expect a header for a null or absent argument, and ignores one sent anyway', () => {
    expectPass(
      sent(
        { 'Mcp-Param-Region': undefined, 'Mcp-Param-Count': undefined },
        { ...args, region: null, count: undefined },
      ),
    );
    expectPass(sent({ 'Mcp-Param-Region': 'whatever' }, { ...args, region: null }));
  });

  it('compares non-ASCII values through their Base64 form', () => {
    expectPass(sent({ 'Mcp-Param-Region': base64('Zürich') }, { ...args, region: 'Zürich' }));
    expectMismatch(sent({ 'Mcp-Param-Region': 'Zürich' }, { ...args, region: 'Zürich' }), 'Mcp-Param-Region');
  });

  it('checks the standard headers first', () =>
    expectMismatch(sent({ 'Mcp-Name': 'other', 'Mcp-Param-Region': undefined }), 'Mcp-Name'));

  it('checks no Mcp-Param header without the tool schema', () => expectPass(validate(body, headersFor(body))));
});

describe('classifyModernHttpRequest: era and precedence', () => {
  const gate = { supportedVersions: [MODERN] };
  const classify = (body: HttpMessageBody, headers: Headers, toolInputSchema?: object) =>
    classifyModernHttpRequest(headerLookupOf(headers), body, toolInputSchema ? { ...gate, toolInputSchema } : gate);
  const withId = (body: ModernHttpBody): HttpMessageBody => ({ ...body, id: 1 });
  const legacyInitialize: HttpMessageBody = {
    id: 0,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'c', version: '1' } },
  };
  const codeOf = (result: E.Either<{ code: number }, unknown>) =>
    E.isLeft(result) ? result.left.code : 'modern/legacy';
  const eraOf = (result: E.Either<unknown, { era: string }>) => (E.isRight(result) ? result.right.era : 'refused');

  it.each<[string, HttpMessageBody, Headers]>([
    ['a claim-less request without headers', { id: 1, method: 'tools/list', params: {} }, {}],
    [
      'a claim-less request with a legacy version header',
      { id: 1, method: 'tools/list' },
      { 'MCP-Protocol-Version': '2025-11-25' },
    ],
    ['a legacy initialize', legacyInitialize, {}],
    ['a legacy initialize with a session id', legacyInitialize, { 'Mcp-Session-Id': 'abc' }],
    [
      'an initialize whose claim is half-formed',
      { id: 0, method: 'initialize', params: { _meta: { [PV]: MODERN } } },
      {},
    ],
  ])('%s is legacy', (_label, body, headers) => {
    expect(eraOf(classify(body, headers))).toBe('legacy');
  });

  it('a valid modern request is modern, with its envelope', () => {
    const body = withId(request('tools/list'));
    expect(classify(body, headersFor(body))).toEqual(
      E.right({ era: 'modern', envelope: { protocolVersion: MODERN, clientCapabilities: {} } }),
    );
  });

  it.each([
    ['initialize', withId(request('initialize'))],
    ['ping', withId(request('ping'))],
    ['unknown/method', withId(request('unknown/method'))],
  ])('a modern %s is modern (the dispatcher answers 404 / -32601)', (_label, body) => {
    expect(eraOf(classify(body, headersFor(body)))).toBe('modern');
  });

  it.each<[string, HttpMessageBody, Headers, number]>([
    [
      'a claim-less request under a modern version header',
      { id: 1, method: 'tools/list' },
      { 'MCP-Protocol-Version': MODERN },
      -32602,
    ],
    ['a legacy initialize under a modern version header', legacyInitialize, { 'MCP-Protocol-Version': MODERN }, -32020],
    [
      'a _meta without protocolVersion under a modern header',
      { id: 1, method: 'tools/list', params: { _meta: { [CAPS]: {} } } },
      { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tools/list' },
      -32602,
    ],
    [
      'a claim without clientCapabilities (not a header mismatch)',
      { id: 1, method: 'tools/list', params: { _meta: { [PV]: MODERN } } },
      { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tools/list' },
      -32602,
    ],
    [
      'an envelope missing clientCapabilities whose header also disagrees',
      { id: 1, method: 'tools/list', params: { _meta: { [PV]: 'v999.0.0' } } },
      { 'MCP-Protocol-Version': MODERN },
      -32602,
    ],
    [
      'a modern header over an unsupported body version (mismatch beats unsupported)',
      withId(request('tools/list', {}, 'v999.0.0')),
      { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tools/list' },
      -32020,
    ],
    [
      'a disagreeing Mcp-Method over an unsupported version',
      withId(request('tools/list', {}, 'v999.0.0')),
      { 'MCP-Protocol-Version': 'v999.0.0', 'Mcp-Method': 'prompts/list' },
      -32020,
    ],
    [
      'header = body = an unsupported version',
      withId(request('tools/list', {}, 'v999.0.0')),
      { 'MCP-Protocol-Version': 'v999.0.0', 'Mcp-Method': 'tools/list' },
      -32022,
    ],
    [
      'an unsupported version without any header (the version gate comes before header presence)',
      withId(request('tools/list', {}, 'v999.0.0')),
      {},
      -32022,
    ],
    [
      'a supported request without MCP-Protocol-Version',
      withId(request('tools/list')),
      { 'Mcp-Method': 'tools/list' },
      -32020,
    ],
    [
      'a supported tools/call without Mcp-Name',
      withId(request('tools/call', { name: 'echo' })),
      { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tools/call' },
      -32020,
    ],
    [
      'a tools/call whose Mcp-Method says tasks/get',
      withId(request('tools/call', { name: 'echo' })),
      { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tasks/get', 'Mcp-Name': 'echo' },
      -32020,
    ],
    [
      'a tasks/get naming another task',
      withId(request('tasks/get', { taskId: 't-1' })),
      { 'MCP-Protocol-Version': MODERN, 'Mcp-Method': 'tasks/get', 'Mcp-Name': 't-2' },
      -32020,
    ],
  ])('%s → %i', (_label, body, headers, code) => {
    expect(codeOf(classify(body, headers))).toBe(code);
  });

  it('echoes the requested version exactly in -32022, with the versions served', () => {
    const body = withId(request('tools/list', {}, 'v999.0.0'));
    const result = classify(body, { 'MCP-Protocol-Version': 'v999.0.0', 'Mcp-Method': 'tools/list' });
    expect(E.isLeft(result) && result.left.data).toEqual({ supported: [MODERN], requested: 'v999.0.0' });
  });

  it('names every missing envelope key when the claim is absent', () => {
    const result = classify({ id: 1, method: 'tools/list', params: {} }, { 'MCP-Protocol-Version': MODERN });
    expect(E.isLeft(result) && result.left.data).toEqual({ path: 'params._meta', missing: [PV, CAPS] });
  });

  it('holds a notification only to the headers it sends', () => {
    const notification: HttpMessageBody = {
      method: 'notifications/cancelled',
      params: { _meta: meta(), requestId: 3 },
    };
    expect(eraOf(classify(notification, {}))).toBe('modern');
    expect(codeOf(classify(notification, { 'Mcp-Method': 'notifications/progress' }))).toBe(-32020);
  });

  it("checks a tools/call's Mcp-Param headers against the tool schema it is given", () => {
    const schema = { properties: { region: { type: 'string', 'x-mcp-header': 'Region' } } };
    const body = withId(request('tools/call', { name: 'deploy', arguments: { region: 'us-west1' } }));
    expect(eraOf(classify(body, headersFor(body, { 'Mcp-Param-Region': 'us-west1' }), schema))).toBe('modern');
    expect(codeOf(classify(body, headersFor(body), schema))).toBe(-32020);
  });
});
