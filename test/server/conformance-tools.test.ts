import { afterEach, describe, expect, it, vi } from 'vitest';
import { SAMPLE_PNG_BASE64, SAMPLE_WAV_BASE64 } from '../../src/server/api/conformance-fixtures.js';
import { emptyConfig } from '../../src/server/config.js';
import { conformanceTools, jsonSchema2020Tool } from '../../src/server/tools/conformance-tools.js';
import { ToolCatalog } from '../../src/server/tools/tool-catalog.js';
import type {
  ClientAnswer,
  ClientRequestMethod,
  JsonObject,
  LogLevel,
  ToolContext,
  ToolDefinition,
} from '../../src/server/tools/tool-definition.js';

interface Recorded {
  readonly logs: { level: LogLevel; data: unknown }[];
  readonly progress: { progress: number; total?: number }[];
  readonly clientRequests: { method: ClientRequestMethod; params: JsonObject }[];
}

/** A ToolContext that records what the tool sends and answers client requests with `answer` (or what it gives for the method). */
const fakeContext = (
  answer: ClientAnswer | ((method: ClientRequestMethod) => ClientAnswer | Promise<ClientAnswer>) = {
    ok: true,
    result: {},
  },
  signal: AbortSignal = new AbortController().signal,
): { context: ToolContext; recorded: Recorded } => {
  const recorded: Recorded = { logs: [], progress: [], clientRequests: [] };
  const context: ToolContext = {
    agent: 'conformance',
    correlationId: 'test:1',
    signal,
    reportProgress: (progress, total) => recorded.progress.push({ progress, total }),
    log: (level, data) => recorded.logs.push({ level, data }),
    requestFromClient: async (method, params) => {
      recorded.clientRequests.push({ method, params });
      return typeof answer === 'function' ? answer(method) : answer;
    },
  };
  return { context, recorded };
};

const tool = (name: string): ToolDefinition => {
  const found = conformanceTools.find((candidate) => candidate.name === name);
  if (found === undefined) throw new Error(`no conformance tool ${name}`);
  return found;
};

/** The `requestedSchema.properties` of the first elicitation the tool sent. */
const requestedSchemaOf = (recorded: Recorded): Record<string, Record<string, unknown>> => {
  const schema = recorded.clientRequests[0]?.params.requestedSchema as
    | { properties: Record<string, Record<string, unknown>> }
    | undefined;
  if (schema === undefined) throw new Error('the tool sent no elicitation');
  return schema.properties;
};

describe('the conformance toolset', () => {
  it('offers every fixture the suite calls, free and open to every agent', () => {
    expect(conformanceTools.map((fixture) => fixture.name).sort()).toEqual([
      'confirm_delete',
      'failing_job',
      'greet',
      'json_schema_2020_12_tool',
      'multi_input',
      'protocol_error_job',
      'slow_compute',
      'test_audio_content',
      'test_custom_headers',
      'test_elicitation',
      'test_elicitation_sep1034_defaults',
      'test_elicitation_sep1330_enums',
      'test_embedded_resource',
      'test_error_handling',
      'test_image_content',
      'test_input_required_result_capabilities',
      'test_input_required_result_elicitation',
      'test_input_required_result_list_roots',
      'test_input_required_result_multi_round',
      'test_input_required_result_multiple_inputs',
      'test_input_required_result_request_state',
      'test_input_required_result_sampling',
      'test_input_required_result_tampered_state',
      'test_logging_tool',
      'test_missing_capability',
      'test_multiple_content_types',
      'test_reconnection',
      'test_sampling',
      'test_simple_text',
      'test_streaming_elicitation',
      'test_tool_with_logging',
      'test_tool_with_progress',
      'test_tool_with_task',
    ]);
    for (const fixture of conformanceTools) {
      expect(fixture.price).toEqual({ perCall: 0n, perSecond: 0n });
      expect(fixture.permissions).toEqual([]);
    }
  });

  it('compiles in the tool catalog (every input schema is valid)', () => {
    expect(new ToolCatalog(conformanceTools, emptyConfig()).size).toBe(conformanceTools.length);
  });

  it('json_schema_2020_12_tool compiles in the tool catalog (a 2020-12 schema)', () => {
    expect(new ToolCatalog([jsonSchema2020Tool], emptyConfig()).size).toBe(1);
  });

  it('returns text, image, audio, an embedded resource and all three at once', async () => {
    const run = (name: string) => tool(name).run({}, fakeContext().context);
    expect((await run('test_simple_text')).content).toEqual([{ type: 'text', text: expect.any(String) }]);
    expect((await run('test_image_content')).content).toEqual([
      { type: 'image', data: SAMPLE_PNG_BASE64, mimeType: 'image/png' },
    ]);
    expect((await run('test_audio_content')).content).toEqual([
      { type: 'audio', data: SAMPLE_WAV_BASE64, mimeType: 'audio/wav' },
    ]);
    expect((await run('test_embedded_resource')).content).toEqual([
      {
        type: 'resource',
        resource: { uri: 'test://embedded-resource', mimeType: 'text/plain', text: expect.any(String) },
      },
    ]);
    const mixed = (await run('test_multiple_content_types')).content;
    expect(mixed.map((block) => block.type)).toEqual(['text', 'image', 'resource']);
    expect(mixed[2]).toMatchObject({
      resource: { uri: 'test://mixed-content-resource', mimeType: 'application/json' },
    });
    const failure = await run('test_error_handling');
    expect(failure.isError).toBe(true);
    expect(failure.content[0]).toEqual({ type: 'text', text: expect.any(String) });
  });

  it('sends three info log messages, then answers', async () => {
    const { context, recorded } = fakeContext();
    const result = await tool('test_tool_with_logging').run({}, context);
    expect(recorded.logs.map((entry) => entry.level)).toEqual(['info', 'info', 'info']);
    expect(result.isError).toBeUndefined();
  });

  it('reports progress 0, 50 and 100 of 100', async () => {
    const { context, recorded } = fakeContext();
    await tool('test_tool_with_progress').run({}, context);
    expect(recorded.progress).toEqual([
      { progress: 0, total: 100 },
      { progress: 50, total: 100 },
      { progress: 100, total: 100 },
    ]);
  });

  it('stops at once, with an isError result, when the call is cancelled', async () => {
    const cancelled = new AbortController();
    cancelled.abort(new Error('cancelled by the client'));
    const { context, recorded } = fakeContext(undefined, cancelled.signal);
    const result = await tool('test_tool_with_progress').run({}, context);
    expect(result.isError).toBe(true);
    expect(recorded.progress).toEqual([{ progress: 0, total: 100 }]);
  });

  it("asks the client's model with the prompt, and quotes its answer", async () => {
    const { context, recorded } = fakeContext({
      ok: true,
      result: { role: 'assistant', content: { type: 'text', text: 'forty-two' }, model: 'm', stopReason: 'endTurn' },
    });
    const result = await tool('test_sampling').run({ prompt: 'What is six times seven?' }, context);
    expect(recorded.clientRequests).toEqual([
      {
        method: 'sampling/createMessage',
        params: {
          messages: [{ role: 'user', content: { type: 'text', text: 'What is six times seven?' } }],
          maxTokens: 100,
        },
      },
    ]);
    expect(result.isError).toBeUndefined();
    expect(result.content[0]).toEqual({ type: 'text', text: expect.stringContaining('forty-two') });
  });

  it('reads a sampling answer whose content is an array of blocks (2025-11-25)', async () => {
    const { context } = fakeContext({
      ok: true,
      result: {
        role: 'assistant',
        content: [
          { type: 'text', text: 'first' },
          { type: 'text', text: 'second' },
        ],
      },
    });
    const result = await tool('test_sampling').run({ prompt: 'p' }, context);
    expect(result.content[0]).toEqual({ type: 'text', text: expect.stringContaining('first\nsecond') });
  });

  it('fails with an isError result naming why, when the client cannot answer', async () => {
    const { context } = fakeContext({
      ok: false,
      error: { code: -32601, message: 'the client did not declare the sampling capability' },
    });
    const result = await tool('test_sampling').run({ prompt: 'p' }, context);
    expect(result.isError).toBe(true);
    expect(result.content[0]).toEqual({
      type: 'text',
      text: expect.stringContaining('the client did not declare the sampling capability'),
    });
  });

  it('asks the user for a username and an email, and reports the action and content', async () => {
    const { context, recorded } = fakeContext({
      ok: true,
      result: { action: 'accept', content: { username: 'ada', email: 'ada@example.com' } },
    });
    const result = await tool('test_elicitation').run({ message: 'Who are you?' }, context);
    expect(recorded.clientRequests[0]?.method).toBe('elicitation/create');
    expect(recorded.clientRequests[0]?.params).toMatchObject({
      message: 'Who are you?',
      requestedSchema: { type: 'object', required: ['username', 'email'] },
    });
    expect(Object.keys(requestedSchemaOf(recorded))).toEqual(['username', 'email']);
    expect(result.content[0]).toEqual({ type: 'text', text: expect.stringContaining('accept') });
    expect(result.content[0]).toEqual({ type: 'text', text: expect.stringContaining('ada@example.com') });
  });

  it('asks with a default for every primitive type (SEP-1034)', async () => {
    const { context, recorded } = fakeContext({ ok: true, result: { action: 'decline' } });
    const result = await tool('test_elicitation_sep1034_defaults').run({}, context);
    expect(requestedSchemaOf(recorded)).toMatchObject({
      name: { type: 'string', default: 'John Doe' },
      age: { type: 'integer', default: 30 },
      score: { type: 'number', default: 95.5 },
      status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
      verified: { type: 'boolean', default: true },
    });
    expect(result.content[0]).toEqual({ type: 'text', text: expect.stringContaining('decline') });
  });

  it('asks with every enum shape (SEP-1330)', async () => {
    const { context, recorded } = fakeContext({ ok: true, result: { action: 'cancel' } });
    await tool('test_elicitation_sep1330_enums').run({}, context);
    const properties = requestedSchemaOf(recorded);
    expect(properties.untitledSingle).toMatchObject({ type: 'string', enum: ['option1', 'option2', 'option3'] });
    expect(properties.untitledSingle).not.toHaveProperty('oneOf');
    expect(properties.titledSingle).toMatchObject({ type: 'string' });
    expect(properties.titledSingle).not.toHaveProperty('enum');
    expect(properties.titledSingle?.oneOf).toEqual(
      expect.arrayContaining([{ const: 'value1', title: expect.any(String) }]),
    );
    expect(properties.legacyEnum).toMatchObject({ type: 'string', enum: ['opt1', 'opt2', 'opt3'] });
    expect(properties.legacyEnum?.enumNames).toHaveLength(3);
    expect(properties.untitledMulti).toMatchObject({
      type: 'array',
      items: { type: 'string', enum: expect.any(Array) },
    });
    expect(properties.titledMulti).toMatchObject({ type: 'array', items: { anyOf: expect.any(Array) } });
  });
});

/** An elicitation accepted with `content`. */
const accepted = (content: JsonObject): ClientAnswer => ({ ok: true, result: { action: 'accept', content } });
const refused = (message: string): ClientAnswer => ({ ok: false, error: { code: -32601, message } });
const sampledAnswer = (text: string): ClientAnswer => ({
  ok: true,
  result: { role: 'assistant', content: { type: 'text', text }, model: 'm', stopReason: 'endTurn' },
});
const rootsAnswer: ClientAnswer = { ok: true, result: { roots: [{ uri: 'file:///test/root', name: 'Test Root' }] } };

/** What a client answers to each method in these tests. */
const answerByMethod = (method: ClientRequestMethod): ClientAnswer =>
  method === 'elicitation/create'
    ? accepted({ name: 'Alice' })
    : method === 'sampling/createMessage'
      ? sampledAnswer('Hello there!')
      : rootsAnswer;

const textOf = (result: { content: readonly { type: string }[] }): string => {
  const block = result.content[0];
  return block !== undefined && 'text' in block ? String(block.text) : '';
};

describe('the 2026-07-28 fixtures: server-stateless and input-required-result-*', () => {
  it('test_missing_capability needs sampling, and says why it failed when the client cannot be asked', async () => {
    const { context, recorded } = fakeContext(refused('the client did not declare the sampling capability'));
    const result = await tool('test_missing_capability').run({}, context);
    expect(recorded.clientRequests.map((request) => request.method)).toEqual(['sampling/createMessage']);
    expect(result.isError).toBe(true);
    expect(textOf(result)).toContain('did not declare the sampling capability');
  });

  it('test_streaming_elicitation asks the user; test_logging_tool logs and answers without waiting', async () => {
    const asked = fakeContext({ ok: true, result: { action: 'decline' } });
    const result = await tool('test_streaming_elicitation').run({}, asked.context);
    expect(asked.recorded.clientRequests.map((request) => request.method)).toEqual(['elicitation/create']);
    expect(textOf(result)).toContain('decline');
    const logged = fakeContext();
    await tool('test_logging_tool').run({}, logged.context);
    expect(logged.recorded.logs.map((entry) => entry.level)).toEqual(['info', 'debug']);
  });

  it.each([
    ['test_input_required_result_elicitation', 'elicitation/create'],
    ['test_input_required_result_sampling', 'sampling/createMessage'],
    ['test_input_required_result_list_roots', 'roots/list'],
    ['test_input_required_result_request_state', 'elicitation/create'],
    ['test_input_required_result_tampered_state', 'elicitation/create'],
  ] as const)('%s asks the client one thing (%s), then answers', async (name, method) => {
    const { context, recorded } = fakeContext(answerByMethod);
    const result = await tool(name).run({}, context);
    expect(recorded.clientRequests.map((request) => request.method)).toEqual([method]);
    expect(result.isError).toBeUndefined();
    expect(textOf(result)).not.toBe('');
  });

  it('asks in the shapes the suite answers: a name, a confirmation, 100 tokens, roots without params', async () => {
    const { context, recorded } = fakeContext(answerByMethod);
    for (const name of [
      'test_input_required_result_elicitation',
      'test_input_required_result_request_state',
      'test_input_required_result_sampling',
      'test_input_required_result_list_roots',
    ]) {
      await tool(name).run({}, context);
    }
    expect(recorded.clientRequests.map((request) => request.params)).toEqual([
      { message: expect.any(String), requestedSchema: expect.objectContaining({ required: ['name'] }) },
      { message: expect.any(String), requestedSchema: expect.objectContaining({ required: ['ok'] }) },
      { messages: [{ role: 'user', content: { type: 'text', text: expect.any(String) } }], maxTokens: 100 },
      {},
    ]);
  });

  it('greets by the name the user gave, and says state-ok once the request state came back', async () => {
    const greeted = await tool('test_input_required_result_elicitation').run({}, fakeContext(answerByMethod).context);
    expect(textOf(greeted)).toBe('Hello, Alice!');
    const stated = await tool('test_input_required_result_request_state').run(
      {},
      fakeContext(accepted({ ok: true })).context,
    );
    expect(textOf(stated)).toContain('state-ok');
  });

  it('test_input_required_result_multiple_inputs asks its three questions before any is answered', async () => {
    let answerAll: () => void = () => undefined;
    const allAsked = new Promise<void>((resolve) => {
      answerAll = resolve;
    });
    const { context, recorded } = fakeContext(async (method) => {
      await allAsked;
      return answerByMethod(method);
    });
    const running = tool('test_input_required_result_multiple_inputs').run({}, context);
    await Promise.resolve();
    expect(recorded.clientRequests.map((request) => request.method)).toEqual([
      'elicitation/create',
      'sampling/createMessage',
      'roots/list',
    ]);
    answerAll();
    expect(textOf(await running)).toBe('Hello there! (to Alice; roots: file:///test/root)');
  });

  it('test_input_required_result_multi_round asks the colour only after the name', async () => {
    const answers = [accepted({ name: 'Alice' }), accepted({ color: 'blue' })];
    const { context, recorded } = fakeContext(() => answers[recorded.clientRequests.length - 1]!);
    const result = await tool('test_input_required_result_multi_round').run({}, context);
    expect(recorded.clientRequests.map((request) => request.params.requestedSchema)).toEqual([
      expect.objectContaining({ required: ['name'] }),
      expect.objectContaining({ required: ['color'] }),
    ]);
    expect(textOf(result)).toBe('Alice likes blue.');
  });

  it('test_input_required_result_capabilities goes on without what the client cannot be asked', async () => {
    const { context, recorded } = fakeContext((method) =>
      method === 'elicitation/create'
        ? refused('the client did not declare the elicitation capability')
        : sampledAnswer('hi'),
    );
    const result = await tool('test_input_required_result_capabilities').run({}, context);
    expect(recorded.clientRequests.map((request) => request.method)).toEqual([
      'elicitation/create',
      'sampling/createMessage',
    ]);
    expect(result.isError).toBeUndefined();
    expect(textOf(result)).toMatch(/User: not asked .*elicitation.* Model: hi/);
  });

  it('test_custom_headers mirrors its string argument region in the Mcp-Param-Region header', async () => {
    const schema = tool('test_custom_headers').inputSchema as { properties: Record<string, JsonObject> };
    expect(schema.properties.region).toMatchObject({ type: 'string', 'x-mcp-header': 'Region' });
    expect(textOf(await tool('test_custom_headers').run({ region: 'eu-west' }, fakeContext().context))).toContain(
      'eu-west',
    );
  });

  it('json_schema_2020_12_tool keeps the 2020-12 keywords the suite looks for, and validates with them', () => {
    const schema = jsonSchema2020Tool.inputSchema as Record<string, unknown> & { $defs: { address: JsonObject } };
    expect(schema.$defs.address.$anchor).toBe('addressDef');
    expect(Object.keys(schema)).toEqual(expect.arrayContaining(['$schema', 'allOf', 'if', 'then', 'else']));
    const validate = new ToolCatalog([jsonSchema2020Tool], emptyConfig()).get('json_schema_2020_12_tool')!.validate;
    expect(validate({ name: 'Ada', email: 'ada@example.com' })).toBe(true);
    expect(validate({ contactMethod: 'phone', phone: '+1 555 0100' })).toBe(true);
    expect(validate({ contactMethod: 'phone', email: 'ada@example.com' })).toBe(false);
    expect(validate({ name: 'Ada' })).toBe(false);
  });
});

describe('the tasks fixtures', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it('run as tasks, except greet', () => {
    const tasks = conformanceTools.filter((fixture) => fixture.runsAsTask === true).map((fixture) => fixture.name);
    expect(tasks.sort()).toEqual([
      'confirm_delete',
      'failing_job',
      'multi_input',
      'protocol_error_job',
      'slow_compute',
      'test_tool_with_task',
    ]);
    expect(tool('greet').runsAsTask).toBeUndefined();
  });

  it('greet answers exactly "Hello, {name}!"', async () => {
    expect(textOf(await tool('greet').run({ name: 'World' }, fakeContext().context))).toBe('Hello, World!');
  });

  it('slow_compute works the seconds given, and stops at once when cancelled', async () => {
    vi.useFakeTimers();
    const finishing = tool('slow_compute').run({ seconds: 2, label: 'twice' }, fakeContext().context);
    await vi.advanceTimersByTimeAsync(2_000);
    expect(textOf(await finishing)).toBe('twice: computed in 2 s.');
    const cancel = new AbortController();
    const cancelled = tool('slow_compute').run({ seconds: 60 }, fakeContext(undefined, cancel.signal).context);
    cancel.abort(new Error('cancelled'));
    expect((await cancelled).isError).toBe(true);
  });

  it('failing_job fails with an isError result after a second', async () => {
    vi.useFakeTimers();
    const failing = tool('failing_job').run({}, fakeContext().context);
    await vi.advanceTimersByTimeAsync(1_000);
    expect((await failing).isError).toBe(true);
  });

  it('confirm_delete asks to confirm, naming the file, and deletes nothing either way', async () => {
    const yes = fakeContext(accepted({ confirm: true }));
    const confirmed = await tool('confirm_delete').run({ filename: 'notes.txt' }, yes.context);
    expect(yes.recorded.clientRequests[0]?.params.message).toContain('notes.txt');
    expect(textOf(confirmed)).toMatch(/^Confirmed: notes\.txt/);
    const no = await tool('confirm_delete').run(
      { filename: 'notes.txt' },
      fakeContext(accepted({ confirm: false })).context,
    );
    expect(textOf(no)).toMatch(/^Not confirmed/);
  });

  it('multi_input asks two questions at once; test_tool_with_task greets the name it was given', async () => {
    const both = fakeContext(accepted({ name: 'partial', confirm: true }));
    await tool('multi_input').run({}, both.context);
    expect(both.recorded.clientRequests.map((request) => request.method)).toEqual([
      'elicitation/create',
      'elicitation/create',
    ]);
    expect(textOf(await tool('test_tool_with_task').run({}, fakeContext(answerByMethod).context))).toBe(
      'Hello, Alice!',
    );
  });
});

describe('the conformance sample media', () => {
  it('is a PNG image', () => {
    const png = Buffer.from(SAMPLE_PNG_BASE64, 'base64');
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(png.subarray(12, 16).toString('ascii')).toBe('IHDR');
  });

  it('is a RIFF/WAVE file whose chunk sizes add up', () => {
    const wav = Buffer.from(SAMPLE_WAV_BASE64, 'base64');
    expect(wav.subarray(0, 4).toString('ascii')).toBe('RIFF');
    expect(wav.readUInt32LE(4)).toBe(wav.length - 8);
    expect(wav.subarray(8, 16).toString('ascii')).toBe('WAVEfmt ');
    expect(wav.subarray(36, 40).toString('ascii')).toBe('data');
    expect(wav.readUInt32LE(40)).toBe(wav.length - 44);
  });
});
