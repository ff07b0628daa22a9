import { apx } from '../../domain/money.js';
import { type JsonObject, type ToolDefinition, textResult, toolError } from './tool-definition.js';

/** Progress is reported at most this often while `sleep` runs, so a long sleep does not flood the client. */
const SLEEP_PROGRESS_STEP_MS = 100;
/** `sleep` refuses longer naps: a request's TTL ends it long before anyway. */
const SLEEP_MAX_MS = 3_600_000;

const echo: ToolDefinition = {
  name: 'echo',
  title: 'Echo',
  description: 'Returns the message it is given. For tests, benchmarks and demonstrations.',
  inputSchema: {
    type: 'object',
    properties: { message: { type: 'string', description: 'The text to send back' } },
    required: ['message'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  category: 'demo',
  permissions: ['demo'],
  price: { perCall: apx('0.001'), perSecond: 0n },
  run: async (args) => textResult(String(args.message)),
};

const abortReason = (signal: AbortSignal): string =>
  signal.reason instanceof Error ? signal.reason.message : String(signal.reason ?? 'aborted');

/** Waits `ms`, reporting progress; resolves early (false) when the signal aborts. */
const sleepUnlessAborted = (ms: number, signal: AbortSignal, onStep: (elapsed: number) => void): Promise<boolean> =>
  new Promise((resolve) => {
    if (signal.aborted) return resolve(false);
    const started = Date.now();
    const step = setInterval(() => onStep(Math.min(ms, Date.now() - started)), SLEEP_PROGRESS_STEP_MS);
    const done = setTimeout(() => finish(true), ms);
    const onAbort = () => finish(false);
    const finish = (completed: boolean) => {
      clearInterval(step);
      clearTimeout(done);
      signal.removeEventListener('abort', onAbort);
      resolve(completed);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });

const sleep: ToolDefinition = {
  name: 'sleep',
  title: 'Sleep',
  description: 'Waits the given number of milliseconds, reporting progress; stops early when cancelled.',
  inputSchema: {
    type: 'object',
    properties: { ms: { type: 'number', minimum: 0, maximum: SLEEP_MAX_MS, description: 'How long to wait' } },
    required: ['ms'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, openWorldHint: false },
  category: 'demo',
  permissions: ['demo'],
  price: { perCall: apx('0.01'), perSecond: apx('0.1') },
  runsAsTask: true,
  run: async (args, context) => {
    const ms = Number(args.ms);
    context.log('info', { tool: 'sleep', message: `sleeping ${ms} ms` });
    context.reportProgress(0, ms, 'sleeping');
    const completed = await sleepUnlessAborted(ms, context.signal, (elapsed) =>
      context.reportProgress(elapsed, ms, 'sleeping'),
    );
    if (!completed) return toolError(`sleep stopped: ${abortReason(context.signal)}`);
    context.reportProgress(ms, ms, 'done');
    return textResult(`slept ${ms} ms`, { sleptMs: ms });
  },
};

const fail: ToolDefinition = {
  name: 'fail',
  title: 'Fail',
  description: 'Always fails with an isError result. For tests of failure handling.',
  inputSchema: {
    type: 'object',
    properties: { reason: { type: 'string', description: 'Text to put in the failure' } },
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, idempotentHint: true, openWorldHint: false },
  category: 'demo',
  permissions: ['demo'],
  price: { perCall: apx('0.001'), perSecond: 0n },
  run: async (args) => toolError(`fail: ${typeof args.reason === 'string' ? args.reason : 'this tool always fails'}`),
};

const answerText = (result: JsonObject): string | undefined => {
  const content = result.content as { type?: unknown; text?: unknown } | undefined;
  return content?.type === 'text' && typeof content.text === 'string' ? content.text : undefined;
};

/** Sampling: the client's model answers; the request and its answer are recorded in the session. */
const askModel: ToolDefinition = {
  name: 'ask_model',
  title: 'Ask the client model',
  description: "Asks the client's language model (MCP sampling) and returns its answer.",
  inputSchema: {
    type: 'object',
    properties: {
      prompt: { type: 'string', description: 'What to ask the model' },
      maxTokens: { type: 'integer', minimum: 1, maximum: 4096, description: 'Longest answer wanted' },
    },
    required: ['prompt'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, openWorldHint: true },
  category: 'demo',
  permissions: ['demo'],
  price: { perCall: apx('0.01'), perSecond: 0n },
  run: async (args, context) => {
    const answer = await context.requestFromClient('sampling/createMessage', {
      messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt) } }],
      maxTokens: typeof args.maxTokens === 'number' ? args.maxTokens : 256,
    });
    if (!answer.ok) return toolError(`ask_model: no answer from the client's model (${answer.error.message})`);
    const text = answerText(answer.result);
    if (text === undefined) return toolError('ask_model: the model answered with something other than text');
    const model = typeof answer.result.model === 'string' ? answer.result.model : 'unknown';
    return textResult(text, { model, text });
  },
};

/** Elicitation: the user answers a question through the client; accept, decline or cancel. */
const askUser: ToolDefinition = {
  name: 'ask_user',
  title: 'Ask the user',
  description: 'Asks the user a question through the client (MCP elicitation) and returns what they chose.',
  inputSchema: {
    type: 'object',
    properties: { question: { type: 'string', description: 'The question to put to the user' } },
    required: ['question'],
    additionalProperties: false,
  },
  annotations: { readOnlyHint: true, openWorldHint: true },
  category: 'demo',
  permissions: ['demo'],
  price: { perCall: apx('0.001'), perSecond: 0n },
  run: async (args, context) => {
    const answer = await context.requestFromClient('elicitation/create', {
      message: String(args.question),
      requestedSchema: {
        type: 'object',
        properties: { answer: { type: 'string', title: 'Your answer' } },
        required: ['answer'],
      },
    });
    if (!answer.ok) return toolError(`ask_user: no answer from the user (${answer.error.message})`);
    const action = String(answer.result.action);
    const content = (answer.result.content ?? {}) as JsonObject;
    if (action !== 'accept') return textResult(`the user chose to ${action}`, { action });
    return textResult(String(content.answer ?? ''), { action, answer: String(content.answer ?? '') });
  },
};

export const demoTools: readonly ToolDefinition[] = [echo, sleep, fail, askModel, askUser];
