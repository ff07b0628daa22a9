import * as E from 'fp-ts/lib/Either.js';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { SAMPLE_PNG_BASE64 } from '../../src/server/api/conformance-fixtures.js';
import { parseConfig } from '../../src/server/config.js';
import { McpConnection, type OutgoingMessage } from '../../src/server/connection.js';
import { createServerContext } from '../../src/server/server-context.js';
import { openSqliteStore } from '../../src/store/sqlite/index.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('conformance-fixtures');
const cleanups: (() => Promise<void>)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

type Answer = { result?: Record<string, unknown>; error?: { code: number; message: string } };

/** One initialized connection of agent `tester` to a server configured with `toolsets`. */
const connect = async (toolsets: readonly string[]) => {
  const store = openSqliteStore({ path: temp.file() });
  const config = parseConfig({
    agents: { tester: { name: 'Tester', role: 'analyst', balance: '1' } },
    toolsets,
  });
  if (E.isLeft(config)) throw config.left;
  const context = await createServerContext({ store, config: config.right, logger: pino({ level: 'silent' }) });
  const sent: OutgoingMessage[] = [];
  const connection = await McpConnection.open(context, {
    transport: 'stdio',
    agent: 'tester',
    sessionId: `fixtures-${cleanups.length}`,
    send: (message) => sent.push(message),
  });
  cleanups.push(async () => {
    await connection.close('test over');
    await context.close();
    await store.close();
  });
  let nextId = 0;
  const call = async (method: string, params: unknown = {}): Promise<Answer> => {
    nextId += 1;
    const id = nextId;
    await connection.handle({ kind: 'request', id, method, params });
    return sent.find((message) => message.id === id) as Answer;
  };
  await call('initialize', {
    protocolVersion: '2025-11-25',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  });
  await connection.handle({ kind: 'notification', method: 'notifications/initialized', params: undefined });
  return { call };
};

const namesOf = (items: unknown, key: 'name' | 'uri' | 'uriTemplate'): string[] =>
  (items as Record<string, string>[]).map((item) => item[key]!);

describe('the conformance toolset enabled by the configuration', () => {
  it('lists the fixture tools beside the built-in ones', async () => {
    const { call } = await connect(['conformance']);
    const tools = namesOf((await call('tools/list')).result?.tools, 'name');
    expect(tools).toEqual(expect.arrayContaining(['ledger_balance', 'test_simple_text', 'test_sampling']));
  });

  it('runs a fixture for an agent that holds no permissions', async () => {
    const { call } = await connect(['conformance']);
    const answer = await call('tools/call', { name: 'test_simple_text' });
    expect(answer.result).toEqual({ content: [{ type: 'text', text: expect.any(String) }] });
  });

  it("lists, after APEX's own resources, the static fixtures and the template", async () => {
    const { call } = await connect(['conformance']);
    const resources = namesOf((await call('resources/list')).result?.resources, 'uri');
    expect(resources).toEqual(expect.arrayContaining(['payroll://ledger/tester', 'apex://health']));
    expect(resources.slice(-3)).toEqual(['test://static-text', 'test://static-binary', 'test://watched-resource']);
    const templates = namesOf((await call('resources/templates/list')).result?.resourceTemplates, 'uriTemplate');
    expect(templates.at(-1)).toBe('test://template/{id}/data');
  });

  it('reads text, binary and templated fixtures', async () => {
    const { call } = await connect(['conformance']);
    const read = async (uri: string) => (await call('resources/read', { uri })).result?.contents;
    expect(await read('test://static-text')).toEqual([
      { uri: 'test://static-text', mimeType: 'text/plain', text: expect.any(String) },
    ]);
    expect(await read('test://static-binary')).toEqual([
      { uri: 'test://static-binary', mimeType: 'image/png', blob: SAMPLE_PNG_BASE64 },
    ]);
    const [templated] = (await read('test://template/a%20b/data')) as { uri: string; text: string }[];
    expect(templated?.uri).toBe('test://template/a%20b/data');
    expect(JSON.parse(templated?.text ?? '{}')).toMatchObject({ id: 'a b' });
  });

  it('answers resource-not-found for test:// URIs it does not serve', async () => {
    const { call } = await connect(['conformance']);
    for (const uri of ['test://nothing-here', 'test://template/%zz/data', 'test://template/1/2/data']) {
      expect((await call('resources/read', { uri })).error?.message).toMatch(/not found/i);
    }
    expect((await call('resources/subscribe', { uri: 'test://nothing-here' })).error?.message).toMatch(/not found/i);
  });

  it('accepts a subscription to the watched fixture, and its end', async () => {
    const { call } = await connect(['conformance']);
    expect(await call('resources/subscribe', { uri: 'test://watched-resource' })).toMatchObject({ result: {} });
    expect(await call('resources/unsubscribe', { uri: 'test://watched-resource' })).toMatchObject({ result: {} });
  });

  it('lists the fixture prompts after the task prompt, without completion suggestions in the listing', async () => {
    const { call } = await connect(['conformance']);
    const prompts = (await call('prompts/list')).result?.prompts as { name: string; arguments: object[] }[];
    expect(prompts.map((prompt) => prompt.name)).toEqual([
      'task',
      'test_simple_prompt',
      'test_prompt_with_arguments',
      'test_prompt_with_embedded_resource',
      'test_prompt_with_image',
      'test_input_required_result_prompt',
    ]);
    expect(prompts[0]?.arguments[0]).toEqual({
      name: 'task_type',
      description: expect.any(String),
      required: true,
    });
  });

  it('renders each fixture prompt', async () => {
    const { call } = await connect(['conformance']);
    const get = async (name: string, args?: Record<string, string>) =>
      (await call('prompts/get', { name, ...(args === undefined ? {} : { arguments: args }) })).result?.messages;
    expect(await get('test_simple_prompt')).toEqual([
      { role: 'user', content: { type: 'text', text: expect.any(String) } },
    ]);
    expect(JSON.stringify(await get('test_prompt_with_arguments', { arg1: 'left', arg2: 'right' }))).toMatch(
      /left.*right/,
    );
    expect(await get('test_prompt_with_embedded_resource', { resourceUri: 'test://x' })).toEqual([
      { role: 'user', content: { type: 'resource', resource: expect.objectContaining({ uri: 'test://x' }) } },
      { role: 'user', content: { type: 'text', text: expect.any(String) } },
    ]);
    expect(await get('test_prompt_with_image')).toEqual([
      { role: 'user', content: { type: 'image', data: SAMPLE_PNG_BASE64, mimeType: 'image/png' } },
      { role: 'user', content: { type: 'text', text: expect.any(String) } },
    ]);
  });

  it('refuses a fixture prompt without its required arguments', async () => {
    const { call } = await connect(['conformance']);
    const answer = await call('prompts/get', { name: 'test_prompt_with_arguments', arguments: { arg1: 'only' } });
    expect(answer.error?.message).toMatch(/missing required argument arg2$/);
  });

  it("still renders the task prompt in the agent's persona, and completes its task_type", async () => {
    const { call } = await connect(['conformance']);
    const task = await call('prompts/get', { name: 'task', arguments: { task_type: 'analysis' } });
    expect(JSON.stringify(task.result?.messages)).toContain('You are Tester; your role: analyst.');
    const completed = await call('completion/complete', {
      ref: { type: 'ref/prompt', name: 'task' },
      argument: { name: 'task_type', value: 'co' },
    });
    expect(completed.result).toEqual({ completion: { values: ['code-review'], total: 1, hasMore: false } });
    const none = await call('completion/complete', {
      ref: { type: 'ref/prompt', name: 'test_prompt_with_arguments' },
      argument: { name: 'arg1', value: 'x' },
    });
    expect(none.result).toEqual({ completion: { values: [], total: 0, hasMore: false } });
  });
});

describe('the conformance toolset for a 2026-07-28 client', () => {
  const meta = (clientCapabilities: Record<string, unknown>) => ({
    'io.modelcontextprotocol/protocolVersion': '2026-07-28',
    'io.modelcontextprotocol/clientCapabilities': clientCapabilities,
  });
  type Round = { resultType?: string; inputRequests?: Record<string, { method: string }>; requestState?: string };

  it('runs test_input_required_result_multi_round over three rounds: name, colour, answer', async () => {
    const { call } = await connect(['conformance']);
    const multiRound = {
      name: 'test_input_required_result_multi_round',
      arguments: {},
      _meta: meta({ elicitation: {} }),
    };
    const first = (await call('tools/call', multiRound)).result as Round;
    expect(first.resultType).toBe('input_required');
    const [nameKey] = Object.keys(first.inputRequests ?? {});
    const second = (
      await call('tools/call', {
        ...multiRound,
        requestState: first.requestState,
        inputResponses: { [nameKey!]: { action: 'accept', content: { name: 'Alice' } } },
      })
    ).result as Round;
    expect(second.resultType).toBe('input_required');
    expect(second.requestState).not.toBe(first.requestState);
    const [colourKey] = Object.keys(second.inputRequests ?? {});
    const third = await call('tools/call', {
      ...multiRound,
      requestState: second.requestState,
      inputResponses: { [colourKey!]: { action: 'accept', content: { color: 'blue' } } },
    });
    expect(third.result).toMatchObject({
      resultType: 'complete',
      content: [{ type: 'text', text: 'Alice likes blue.' }],
    });
  });

  it('asks test_input_required_result_capabilities only what the request declared', async () => {
    const { call } = await connect(['conformance']);
    const answer = await call('tools/call', {
      name: 'test_input_required_result_capabilities',
      arguments: {},
      _meta: meta({ sampling: {} }),
    });
    const round = answer.result as Round;
    expect(round.resultType).toBe('input_required');
    expect(Object.values(round.inputRequests ?? {}).map((request) => request.method)).toEqual([
      'sampling/createMessage',
    ]);
  });

  it('answers slow_compute with a task when the request declares the tasks extension, and greet never', async () => {
    const { call } = await connect(['conformance']);
    const tasks = meta({ extensions: { 'io.modelcontextprotocol/tasks': {} } });
    const task = await call('tools/call', { name: 'slow_compute', arguments: { seconds: 60 }, _meta: tasks });
    expect(task.result).toMatchObject({ resultType: 'task', status: 'working' });
    const taskId = (task.result as { taskId: string }).taskId;
    expect(await call('tasks/cancel', { taskId, _meta: tasks })).toMatchObject({ result: { resultType: 'complete' } });
    const greeted = await call('tools/call', { name: 'greet', arguments: { name: 'World' }, _meta: tasks });
    expect(greeted.result).toMatchObject({
      resultType: 'complete',
      content: [{ type: 'text', text: 'Hello, World!' }],
    });
  });
});

describe('without the conformance toolset', () => {
  it('offers none of its tools, resources or prompts', async () => {
    const { call } = await connect(['demo']);
    expect(namesOf((await call('tools/list')).result?.tools, 'name')).not.toContain('test_simple_text');
    expect(namesOf((await call('resources/list')).result?.resources, 'uri')).not.toContain('test://static-text');
    expect((await call('resources/read', { uri: 'test://static-text' })).error?.message).toMatch(/not found/i);
    expect(namesOf((await call('prompts/list')).result?.prompts, 'name')).toEqual(['task']);
    expect((await call('prompts/get', { name: 'test_simple_prompt' })).error?.message).toMatch(/Unknown prompt/);
  });
});
