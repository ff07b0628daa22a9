import {
  acceptedField,
  askForString,
  describeElicitation,
  failed,
  fixture,
  sampledText,
} from './conformance-fixture.js';
import { type ClientAnswer, type JsonObject, type ToolDefinition, textResult } from './tool-definition.js';

/**
 * The tools the conformance suite 0.2 calls at the 2026-07-28 wire: the diagnostic tools of
 * `server-stateless`, the tools of the `input-required-result-*` scenarios, and one tool with an
 * `x-mcp-header` argument. Every question goes through `ToolContext.requestFromClient`: a
 * 2026-07-28 call ends its round with `input_required` and is re-run with the answers
 * (multi-round.ts); a 2025-11-25 call sends the client a request. Texts are ours; the suite checks
 * names, methods and result types. See docs/conformance.md.
 */

/** The sampling requests' token budget. */
const SAMPLING_MAX_TOKENS = 100;

const askTheModel = (question: string): JsonObject => ({
  messages: [{ role: 'user', content: { type: 'text', text: question } }],
  maxTokens: SAMPLING_MAX_TOKENS,
});

const rootsOf = (result: JsonObject): string => {
  const roots = Array.isArray(result.roots) ? result.roots : [];
  const uris = roots.flatMap((root: unknown) =>
    typeof root === 'object' && root !== null && 'uri' in root && typeof root.uri === 'string' ? [root.uri] : [],
  );
  return uris.length === 0 ? 'no roots' : uris.join(', ');
};

// server-stateless: its diagnostic tools

/** Called without the sampling capability: a 2026-07-28 server must refuse the call with -32021. */
const missingCapability = fixture(
  'test_missing_capability',
  "Conformance fixture: needs the client's model (sampling/createMessage); a client that did not declare sampling cannot use it.",
  async (_args, context) => {
    const answer = await context.requestFromClient('sampling/createMessage', askTheModel('Say hello in one word.'));
    return answer.ok
      ? textResult(`The client's model said: ${sampledText(answer.result)}`)
      : failed('Sampling', answer);
  },
);

/** Its response stream must carry no request of the server's own: at the 2026-07-28 wire the question is an input_required result. */
const streamingElicitation = fixture(
  'test_streaming_elicitation',
  'Conformance fixture: asks the user one question (elicitation/create) while the call is open.',
  async (_args, context) => {
    const answer = await context.requestFromClient('elicitation/create', askForString('Which colour?', 'colour'));
    return answer.ok ? textResult(describeElicitation(answer.result)) : failed('Elicitation', answer);
  },
);

/** Logs without pausing: the suite reads its stream for half a second and expects no log without a logLevel. */
const loggingTool = fixture(
  'test_logging_tool',
  'Conformance fixture: logs two messages (info, then debug) and answers.',
  async (_args, context) => {
    context.log('info', 'conformance fixture: logging tool called');
    context.log('debug', 'conformance fixture: logging tool answering');
    return textResult('Logged two messages; a client sees them only at the level it asked for.');
  },
);

// input-required-result-*: one question per tool, several at once, several rounds, and only what the client declared

const inputRequiredElicitation = fixture(
  'test_input_required_result_elicitation',
  "Conformance fixture: asks the user's name (elicitation/create), then greets them.",
  async (_args, context) => {
    // The suite answers this question under the key it expects: user_name.
    const answer = await context.requestFromClient('elicitation/create', askForString('Your name, please?', 'name'), {
      key: 'user_name',
    });
    if (!answer.ok) return failed('Elicitation', answer);
    const name = acceptedField(answer.result, 'name');
    return textResult(name === undefined ? describeElicitation(answer.result) : `Hello, ${name}!`);
  },
);

const inputRequiredSampling = fixture(
  'test_input_required_result_sampling',
  "Conformance fixture: asks the client's model a question (sampling/createMessage), then quotes the answer.",
  async (_args, context) => {
    const answer = await context.requestFromClient(
      'sampling/createMessage',
      askTheModel('Which city is the capital of France? One word.'),
    );
    return answer.ok
      ? textResult(`The client's model answered: ${sampledText(answer.result)}`)
      : failed('Sampling', answer);
  },
);

const inputRequiredListRoots = fixture(
  'test_input_required_result_list_roots',
  "Conformance fixture: asks the client's roots (roots/list), then lists their URIs.",
  async (_args, context) => {
    const answer = await context.requestFromClient('roots/list', {});
    return answer.ok ? textResult(`The client shares: ${rootsOf(answer.result)}.`) : failed('Listing roots', answer);
  },
);

/** Answered only once requestState verified: the text says `state-ok`, as the suite asks. */
const inputRequiredRequestState = fixture(
  'test_input_required_result_request_state',
  'Conformance fixture: asks for a confirmation; the answer comes back with the signed request state.',
  async (_args, context) => {
    const answer = await context.requestFromClient('elicitation/create', {
      message: 'Go ahead?',
      requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    });
    if (!answer.ok) return failed('Elicitation', answer);
    return textResult(`state-ok: the request state verified. ${describeElicitation(answer.result)}`);
  },
);

/** Asks its three questions at once, so a server that gathers them can put all three in one round. */
const inputRequiredMultipleInputs = fixture(
  'test_input_required_result_multiple_inputs',
  "Conformance fixture: asks the user's name, the client's model for a greeting and the client's roots, all at once.",
  async (_args, context) => {
    const [name, greeting, roots] = await Promise.all([
      context.requestFromClient('elicitation/create', askForString('Your name, please?', 'name')),
      context.requestFromClient('sampling/createMessage', askTheModel('Write a one-line greeting.')),
      context.requestFromClient('roots/list', {}),
    ]);
    if (!name.ok) return failed('Elicitation', name);
    if (!greeting.ok) return failed('Sampling', greeting);
    if (!roots.ok) return failed('Listing roots', roots);
    return textResult(
      `${sampledText(greeting.result)} (to ${acceptedField(name.result, 'name') ?? 'someone unnamed'}; roots: ${rootsOf(roots.result)})`,
    );
  },
);

/** The second question is asked only once the first is answered: two rounds of input, then the result. */
const inputRequiredMultiRound = fixture(
  'test_input_required_result_multi_round',
  "Conformance fixture: asks the user's name, then (in a second round) their favourite colour.",
  async (_args, context) => {
    const name = await context.requestFromClient('elicitation/create', askForString('First, your name?', 'name'));
    if (!name.ok) return failed('Elicitation', name);
    const colour = await context.requestFromClient(
      'elicitation/create',
      askForString('Then, your favourite colour?', 'color'),
    );
    if (!colour.ok) return failed('Elicitation', colour);
    return textResult(
      `${acceptedField(name.result, 'name') ?? 'Someone'} likes ${acceptedField(colour.result, 'color') ?? 'no colour in particular'}.`,
    );
  },
);

/** Its retry carries an altered requestState, which the server must refuse before the tool runs again. */
const inputRequiredTamperedState = fixture(
  'test_input_required_result_tampered_state',
  'Conformance fixture: asks for a confirmation; a retry whose request state was altered is refused.',
  async (_args, context) => {
    const answer = await context.requestFromClient('elicitation/create', {
      message: 'Confirm?',
      requestedSchema: { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] },
    });
    return answer.ok ? textResult(describeElicitation(answer.result)) : failed('Elicitation', answer);
  },
);

const describeAnswer = (what: string, answer: ClientAnswer, describe: (result: JsonObject) => string): string =>
  answer.ok ? `${what}: ${describe(answer.result)}` : `${what}: not asked (${answer.error.message})`;

/**
 * Asks the user and the client's model, each only if the client declared the capability: an
 * undeclared one is refused by requestFromClient without reaching the client, and the tool goes on.
 */
const inputRequiredCapabilities = fixture(
  'test_input_required_result_capabilities',
  "Conformance fixture: asks the user (elicitation) and the client's model (sampling), each only if the client declared it.",
  async (_args, context) => {
    const [user, model] = await Promise.all([
      // Asks only what the request declared; an undeclared capability is simply not used.
      context.requestFromClient('elicitation/create', askForString('Your name, please?', 'name'), { ifDeclared: true }),
      context.requestFromClient('sampling/createMessage', askTheModel('Say hello in one word.'), { ifDeclared: true }),
    ]);
    return textResult(
      `${describeAnswer('User', user, describeElicitation)} ${describeAnswer('Model', model, sampledText)}`,
    );
  },
);

// http-custom-header-server-validation

/** `region` travels in the `Mcp-Param-Region` header too, which the server checks against the body. */
const customHeaders = fixture(
  'test_custom_headers',
  'Conformance fixture: its region argument is mirrored in the Mcp-Param-Region HTTP header (x-mcp-header).',
  async (args) => textResult(`Region ${JSON.stringify(args.region)} received, in the body and the header alike.`),
  {
    type: 'object',
    properties: { region: { type: 'string', description: 'Any region name', 'x-mcp-header': 'Region' } },
    required: ['region'],
    additionalProperties: false,
  },
);

export const conformanceTools2026: readonly ToolDefinition[] = [
  missingCapability,
  streamingElicitation,
  loggingTool,
  inputRequiredElicitation,
  inputRequiredSampling,
  inputRequiredListRoots,
  inputRequiredRequestState,
  inputRequiredMultipleInputs,
  inputRequiredMultiRound,
  inputRequiredTamperedState,
  inputRequiredCapabilities,
  customHeaders,
];
