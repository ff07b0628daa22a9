import type { InputRequests } from '../../domain/task/events.js';
import { JSON_RPC_ERROR_CODES } from '../../protocol/error-codes.js';
import { MissingClientCapability } from '../tools/multi-round.js';
import type { ClientAnswer, ClientRequestMethod, ClientRequestOptions, JsonObject } from '../tools/tool-definition.js';

/** The client capability each kind of question needs. */
const CAPABILITY_OF: Readonly<Record<ClientRequestMethod, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const refusal = (code: number, message: string): ClientAnswer => ({ ok: false, error: { code, message } });

const STOPPED: ClientAnswer = refusal(
  JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
  'the task was cancelled or timed out before the client answered',
);

/**
 * What a tool asks the client while its call runs as a task (tasks extension, 2026-07-28). There is
 * no request to ask on: each question is recorded as the task's input request (the task shows
 * `input_required` and the question on tasks/get), and the tool waits until tasks/update brings the
 * answer, or the task stops. Questions asked in the same turn (`Promise.all`) are recorded together,
 * so the client sees them at once. The n-th question of the task has the key `input-n` unless the
 * tool names it; a key is never asked twice in a task.
 */
export class TaskQuestions {
  private readonly waiting = new Map<string, (answer: ClientAnswer) => void>();
  private unsent: Record<string, { method: ClientRequestMethod; params: JsonObject }> = {};
  private flushScheduled = false;
  private asked = 0;

  constructor(
    private readonly signal: AbortSignal,
    /** The capabilities of the request that created the task: the only ones the task may use. */
    private readonly clientCapabilities: unknown,
    /** Records the questions as the task's input requests; resolves false when the task refused them. */
    private readonly record: (requests: InputRequests) => Promise<boolean>,
  ) {}

  /** ToolContext.requestFromClient inside a task. */
  readonly ask = async (
    method: ClientRequestMethod,
    params: JsonObject,
    options?: ClientRequestOptions,
  ): Promise<ClientAnswer> => {
    this.asked++;
    const key = options?.key ?? `input-${this.asked}`;
    const capability = CAPABILITY_OF[method];
    if (!isObject(this.clientCapabilities) || !isObject(this.clientCapabilities[capability])) {
      // As in a plain call: the task ends with -32021, unless the tool can do without the answer.
      if (options?.ifDeclared !== true) throw new MissingClientCapability(capability);
      return refusal(
        JSON_RPC_ERROR_CODES.METHOD_NOT_FOUND,
        `the request that started this task did not declare the ${capability} capability, so ${method} cannot be asked`,
      );
    }
    if (this.signal.aborted) return STOPPED;
    if (this.waiting.has(key)) {
      return refusal(JSON_RPC_ERROR_CODES.INVALID_PARAMS, `this task already waits for an answer under ${key}`);
    }
    return new Promise<ClientAnswer>((resolve) => {
      const settle = (answer: ClientAnswer) => {
        this.signal.removeEventListener('abort', onAbort);
        this.waiting.delete(key);
        resolve(answer);
      };
      const onAbort = () => settle(STOPPED);
      this.signal.addEventListener('abort', onAbort, { once: true });
      this.waiting.set(key, settle);
      this.unsent[key] = { method, params };
      this.scheduleFlush();
    });
  };

  /** tasks/update: hands each answer to the question waiting under its key (the others are not asked here). */
  answer(answers: Readonly<Record<string, JsonObject>>): void {
    for (const [key, answer] of Object.entries(answers)) this.waiting.get(key)?.({ ok: true, result: answer });
  }

  /** Keys whose answers the tool is waiting for. */
  get pending(): readonly string[] {
    return [...this.waiting.keys()];
  }

  private scheduleFlush(): void {
    if (this.flushScheduled) return;
    this.flushScheduled = true;
    // After the current turn, so the questions a tool asks at once share one record.
    setImmediate(() => {
      this.flushScheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    const batch = this.unsent;
    this.unsent = {};
    const keys = Object.keys(batch);
    if (keys.length === 0) return;
    let recorded = false;
    try {
      recorded = await this.record(batch);
    } catch {
      recorded = false; // the store failed: the runner logged it; the question cannot be asked
    }
    if (recorded) return;
    for (const key of keys) {
      this.waiting.get(key)?.(
        refusal(JSON_RPC_ERROR_CODES.INTERNAL_ERROR, `the question ${key} could not be recorded, so it was not asked`),
      );
    }
  }
}
