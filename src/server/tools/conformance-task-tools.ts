import {
  acceptedField,
  askForString,
  describeElicitation,
  failed,
  fixture,
  pause,
  STOPPED,
} from './conformance-fixture.js';
import { type JsonObject, type ToolDefinition, ToolProtocolError, textResult, toolError } from './tool-definition.js';

/**
 * The tools of the conformance suite's `tasks-*` scenarios (the 2026-07-28 tasks extension): one
 * that never becomes a task, and tools with `runsAsTask`, which a client declaring the extension
 * gets as a task (task-runner.ts) and any other client as a plain call — except the `taskOnly`
 * ones, which a client without the extension cannot call (-32021). Texts are ours; the suite
 * checks names, statuses and `Hello, {name}!`. See docs/conformance.md.
 */

/** slow_compute's longest run: the suite asks for 60 s (then cancels); a task may not outlive an hour anyway. */
const SLOW_COMPUTE_MAX_SECONDS = 600;
/** failing_job works this long before failing, so a client can see the task working first. */
const FAILING_JOB_MS = 1_000;

const asTask = { runsAsTask: true } as const;
/** The suite declares these with taskSupport "required". */
const onlyAsTask = { runsAsTask: true, taskOnly: true } as const;

/** `fixture` with the task settings it does not take itself. */
const withTask = (
  settings: Pick<ToolDefinition, 'runsAsTask' | 'taskOnly' | 'startsTaskItself'>,
  tool: ToolDefinition,
): ToolDefinition => ({ ...tool, ...settings });

const confirmation = (message: string): JsonObject => ({
  message,
  requestedSchema: { type: 'object', properties: { confirm: { type: 'boolean' } }, required: ['confirm'] },
});

const confirmed = (result: JsonObject): boolean => acceptedField(result, 'confirm') === 'true';

/** Never a task, whatever the client declares: the suite checks its text exactly. */
const greet = fixture(
  'greet',
  'Conformance fixture: greets the name given (always a plain call, never a task).',
  async (args) => textResult(`Hello, ${String(args.name)}!`),
  {
    type: 'object',
    properties: { name: { type: 'string', description: 'Who to greet' } },
    required: ['name'],
    additionalProperties: false,
  },
);

/** Stops at once when cancelled, so a cancelled task settles as cancelled within the suite's 10 s. */
const slowCompute = fixture(
  'slow_compute',
  'Conformance fixture: works for the number of seconds given, then answers (a task for clients that declare the tasks extension).',
  async (args, context) => {
    const seconds = Number(args.seconds);
    const label = typeof args.label === 'string' ? args.label : 'slow_compute';
    if (!(await pause(seconds * 1000, context.signal))) return STOPPED;
    return textResult(`${label}: computed in ${seconds} s.`);
  },
  {
    type: 'object',
    properties: {
      seconds: { type: 'number', minimum: 0, maximum: SLOW_COMPUTE_MAX_SECONDS, description: 'How long to work' },
      label: { type: 'string', description: 'A name for this run, repeated in the result' },
    },
    required: ['seconds'],
    additionalProperties: false,
  },
  asTask,
);

/** A tool that ran and failed: its task completes, with an isError result (not a failed task). Task-only. */
const failingJob = withTask(
  onlyAsTask,
  fixture(
    'failing_job',
    'Conformance fixture: works for a second, then fails with an isError result (only as a task: the client must declare the tasks extension).',
    async (_args, context) =>
      (await pause(FAILING_JOB_MS, context.signal))
        ? toolError('This job fails on purpose, after a second of work.')
        : STOPPED,
  ),
);

/**
 * A tool that cannot produce a result at all: it ends its call with a protocol error (internal
 * error), so its task is `failed` with that error, and a plain call is answered with it.
 */
const protocolErrorJob = fixture(
  'protocol_error_job',
  'Conformance fixture: a job that cannot produce a result, and ends with a protocol error (a task for clients that declare the tasks extension).',
  async () => {
    throw new ToolProtocolError(-32603, 'This job could not produce a result.');
  },
  undefined,
  asTask,
);

/** Asks before it acts: inside a task the question is the task's input_required (tasks/update answers it). */
const confirmDelete = fixture(
  'confirm_delete',
  'Conformance fixture: asks the user to confirm deleting a file, then reports the decision (nothing is deleted).',
  async (args, context) => {
    const filename = String(args.filename);
    const answer = await context.requestFromClient('elicitation/create', confirmation(`Delete ${filename}?`));
    if (!answer.ok) return failed('Elicitation', answer);
    return textResult(
      confirmed(answer.result)
        ? `Confirmed: ${filename} would be deleted (a fixture deletes nothing).`
        : `Not confirmed: ${filename} is kept.`,
    );
  },
  {
    type: 'object',
    properties: { filename: { type: 'string', description: 'The file to (pretend to) delete' } },
    required: ['filename'],
    additionalProperties: false,
  },
  asTask,
);

/** Two questions at once, so a task waits on two keys and a client may answer them one by one. */
const multiInput = fixture(
  'multi_input',
  'Conformance fixture: asks the user two questions at once (a name and a confirmation), then reports both answers.',
  async (_args, context) => {
    const [name, proceed] = await Promise.all([
      context.requestFromClient('elicitation/create', askForString('Which name?', 'name')),
      context.requestFromClient('elicitation/create', confirmation('Proceed?')),
    ]);
    if (!name.ok) return failed('Elicitation', name);
    if (!proceed.ok) return failed('Elicitation', proceed);
    return textResult(`${describeElicitation(name.result)} ${describeElicitation(proceed.result)}`);
  },
  undefined,
  asTask,
);

/**
 * Asks first, by multi round-trip before any task exists (`startsTaskItself`), then goes on as a
 * task whose result names the user. Task-only.
 */
const toolWithTask = withTask(
  { ...onlyAsTask, startsTaskItself: true },
  fixture(
    'test_tool_with_task',
    "Conformance fixture: asks the user's name, then greets them from a task (only as a task: the client must declare the tasks extension).",
    async (_args, context) => {
      const answer = await context.requestFromClient('elicitation/create', askForString('Your name, please?', 'name'), {
        key: 'user_name',
      });
      if (!answer.ok) return failed('Elicitation', answer);
      await context.continueAsTask?.();
      return textResult(`Hello, ${acceptedField(answer.result, 'name') ?? 'whoever you are'}!`);
    },
  ),
);

export const conformanceTaskTools: readonly ToolDefinition[] = [
  greet,
  slowCompute,
  failingJob,
  protocolErrorJob,
  confirmDelete,
  multiInput,
  toolWithTask,
];
