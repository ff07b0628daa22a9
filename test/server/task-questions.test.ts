import { describe, expect, it } from 'vitest';
import type { InputRequests } from '../../src/domain/task/events.js';
import { TaskQuestions } from '../../src/server/tasks/task-questions.js';
import { MissingClientCapability } from '../../src/server/tools/multi-round.js';
import { MAX_TOOL_ERROR_MESSAGE_LENGTH, ToolProtocolError } from '../../src/server/tools/tool-definition.js';
import { until } from '../support/wait-until.js';

const ELICIT = { message: 'Name?', requestedSchema: { type: 'object', properties: { name: { type: 'string' } } } };

/** Questions of a task whose client declared `capabilities`, with what they recorded. */
const questionsOf = (capabilities: unknown = { elicitation: {} }, accept = true) => {
  const controller = new AbortController();
  const recorded: InputRequests[] = [];
  const questions = new TaskQuestions(controller.signal, capabilities, async (requests) => {
    recorded.push(requests);
    return accept;
  });
  return { questions, recorded, controller };
};

describe('TaskQuestions (a tool asking the client from inside a task)', () => {
  it('records the questions asked at once in one input request, and hands each its own answer', async () => {
    const { questions, recorded } = questionsOf();
    const both = Promise.all([
      questions.ask('elicitation/create', ELICIT),
      questions.ask('elicitation/create', { message: 'Sure?' }, { key: 'sure' }),
    ]);
    await until(() => recorded.length === 1, 'the questions were recorded');
    expect(recorded).toEqual([
      {
        'input-1': { method: 'elicitation/create', params: ELICIT },
        sure: { method: 'elicitation/create', params: { message: 'Sure?' } },
      },
    ]);
    expect([...questions.pending].sort()).toEqual(['input-1', 'sure']);
    questions.answer({ sure: { action: 'accept', content: { sure: true } } });
    expect(questions.pending).toEqual(['input-1']);
    questions.answer({ 'input-1': { action: 'decline' }, unknown: { action: 'accept' } });
    expect(await both).toEqual([
      { ok: true, result: { action: 'decline' } },
      { ok: true, result: { action: 'accept', content: { sure: true } } },
    ]);
    expect(questions.pending).toEqual([]);
  });

  it('counts default keys over the whole task', async () => {
    const { questions, recorded } = questionsOf();
    const first = questions.ask('elicitation/create', ELICIT);
    await until(() => recorded.length === 1, 'the first question was recorded');
    questions.answer({ 'input-1': { action: 'accept', content: { name: 'Ada' } } });
    await first;
    void questions.ask('elicitation/create', ELICIT);
    await until(() => recorded.length === 2, 'the second question was recorded');
    expect(Object.keys(recorded[1] ?? {})).toEqual(['input-2']);
  });

  it('ends the task (-32021) for a capability its request did not declare, unless the tool can do without', async () => {
    const { questions, recorded } = questionsOf({ sampling: {} });
    await expect(questions.ask('elicitation/create', ELICIT)).rejects.toEqual(
      new MissingClientCapability('elicitation'),
    );
    expect(await questions.ask('roots/list', {}, { ifDeclared: true })).toMatchObject({
      ok: false,
      error: { code: -32601 },
    });
    expect(recorded).toEqual([]);
  });

  it('stops waiting when the task is cancelled or times out', async () => {
    const { questions, recorded, controller } = questionsOf();
    const waiting = questions.ask('elicitation/create', ELICIT);
    await until(() => recorded.length === 1, 'the question was recorded');
    controller.abort();
    expect(await waiting).toMatchObject({ ok: false, error: { code: -32603 } });
    expect(await questions.ask('elicitation/create', ELICIT)).toMatchObject({ ok: false });
    expect(questions.pending).toEqual([]);
  });

  it('refuses a key already waiting, and answers a question the task refused to record with an error', async () => {
    const { questions, recorded } = questionsOf({ elicitation: {} }, false);
    const refused = questions.ask('elicitation/create', ELICIT, { key: 'name' });
    expect(await questions.ask('elicitation/create', ELICIT, { key: 'name' })).toMatchObject({
      ok: false,
      error: { code: -32602 },
    });
    expect(await refused).toMatchObject({ ok: false, error: { code: -32603 } });
    expect(recorded).toHaveLength(1);
  });
});

describe('ToolProtocolError (a tool ending its call with a JSON-RPC error)', () => {
  it('takes -32602, -32603 and application codes, and shows only code, message and data', () => {
    expect(new ToolProtocolError(-32603, 'no result').toJsonRpcError()).toEqual({ code: -32603, message: 'no result' });
    expect(new ToolProtocolError(-32602, 'bad', { field: 'x' }).toJsonRpcError()).toEqual({
      code: -32602,
      message: 'bad',
      data: { field: 'x' },
    });
    expect(new ToolProtocolError(-40001, 'upstream down').code).toBe(-40001);
    expect(new ToolProtocolError(7, 'seven').code).toBe(7);
  });

  it('refuses the codes that describe the request or belong to MCP and APEX', () => {
    for (const code of [-32700, -32600, -32601, -32000, -32001, -32021, -32034, -32099, -32768, 1.5, Number.NaN]) {
      expect(() => new ToolProtocolError(code, 'x'), String(code)).toThrow(RangeError);
    }
  });

  it('cuts a long message', () => {
    expect(new ToolProtocolError(-32603, 'x'.repeat(5000)).message).toHaveLength(MAX_TOOL_ERROR_MESSAGE_LENGTH);
  });
});
