import { sampleAudio, sampleImage } from '../api/conformance-fixtures.js';
import {
  describeElicitation,
  failed,
  fixture,
  oneRequiredString,
  pause,
  STOPPED,
  sampledText,
} from './conformance-fixture.js';
import { conformanceTaskTools } from './conformance-task-tools.js';
import { conformanceTools2026 } from './conformance-tools-2026.js';
import { type ToolDefinition, textResult, toolError } from './tool-definition.js';

/**
 * The tools of the `conformance` toolset: the fixtures the official MCP conformance suite
 * (@modelcontextprotocol/conformance, server scenarios) calls. Here those of 0.1.16, which 0.2 still
 * calls; the 2026-07-28 ones are in conformance-tools-2026.ts and conformance-task-tools.ts. Free,
 * and open to every agent; texts are ours, names and shapes are the suite's. See docs/conformance.md.
 */

/** The suite spaces logging and progress notifications "about 50 ms" apart, so a client sees them arrive one by one. */
const NOTIFICATION_SPACING_MS = 50;
/** The sampling request's token budget, as the suite specifies. */
const SAMPLING_MAX_TOKENS = 100;
const PROGRESS_TOTAL = 100;
/** test_reconnection's pause: long enough that a server could close the stream before answering. */
const RECONNECTION_PAUSE_MS = 100;

// Content of every kind

const simpleText = fixture('test_simple_text', 'Conformance fixture: returns one text block.', async () =>
  textResult('Plain text from the APEX conformance toolset.'),
);

const imageContent = fixture('test_image_content', 'Conformance fixture: returns a PNG image block.', async () => ({
  content: [sampleImage],
}));

const audioContent = fixture('test_audio_content', 'Conformance fixture: returns a WAV audio block.', async () => ({
  content: [sampleAudio],
}));

const embeddedResource = fixture(
  'test_embedded_resource',
  'Conformance fixture: returns an embedded text resource.',
  async () => ({
    content: [
      {
        type: 'resource',
        resource: {
          uri: 'test://embedded-resource',
          mimeType: 'text/plain',
          text: 'Text embedded by a conformance tool.',
        },
      },
    ],
  }),
);

const multipleContentTypes = fixture(
  'test_multiple_content_types',
  'Conformance fixture: returns text, an image and an embedded JSON resource in one result.',
  async () => ({
    content: [
      { type: 'text', text: 'Three kinds of content follow this line.' },
      sampleImage,
      {
        type: 'resource',
        resource: {
          uri: 'test://mixed-content-resource',
          mimeType: 'application/json',
          text: JSON.stringify({ fixture: 'mixed-content', blocks: 3 }),
        },
      },
    ],
  }),
);

const errorHandling = fixture(
  'test_error_handling',
  'Conformance fixture: always fails with an isError result.',
  async () => toolError('This conformance fixture fails on purpose.'),
);

// Notifications while running

const withLogging = fixture(
  'test_tool_with_logging',
  'Conformance fixture: sends three info-level log messages while it runs.',
  async (_args, context) => {
    context.log('info', 'conformance fixture: started');
    if (!(await pause(NOTIFICATION_SPACING_MS, context.signal))) return STOPPED;
    context.log('info', 'conformance fixture: working');
    if (!(await pause(NOTIFICATION_SPACING_MS, context.signal))) return STOPPED;
    context.log('info', 'conformance fixture: finished');
    return textResult('Sent three log messages.');
  },
);

const withProgress = fixture(
  'test_tool_with_progress',
  'Conformance fixture: reports progress 0, 50 and 100 of 100 when the call carries a progressToken.',
  async (_args, context) => {
    context.reportProgress(0, PROGRESS_TOTAL);
    if (!(await pause(NOTIFICATION_SPACING_MS, context.signal))) return STOPPED;
    context.reportProgress(PROGRESS_TOTAL / 2, PROGRESS_TOTAL);
    if (!(await pause(NOTIFICATION_SPACING_MS, context.signal))) return STOPPED;
    context.reportProgress(PROGRESS_TOTAL, PROGRESS_TOTAL);
    return textResult('Reported progress three times.');
  },
);

/**
 * The suite's SSE polling scenario (pending in 0.1.16) expects the server to close this call's SSE
 * stream mid-call so the client resumes with Last-Event-ID. A tool cannot close its stream, so this
 * one only answers after a pause, on the stream the call opened.
 */
const reconnection = fixture(
  'test_reconnection',
  'Conformance fixture: answers after a short pause (for the SSE resumption scenario).',
  async (_args, context) =>
    (await pause(RECONNECTION_PAUSE_MS, context.signal)) ? textResult('Answered after a pause.') : STOPPED,
);

// Requests to the client: the answer is awaited as long as the call may run (its TTL); a cancellation ends the wait.

const sampling = fixture(
  'test_sampling',
  "Conformance fixture: asks the client's model to answer the prompt (sampling/createMessage).",
  async (args, context) => {
    const answer = await context.requestFromClient('sampling/createMessage', {
      messages: [{ role: 'user', content: { type: 'text', text: String(args.prompt) } }],
      maxTokens: SAMPLING_MAX_TOKENS,
    });
    if (!answer.ok) return failed('Sampling', answer);
    return textResult(`The client's model answered: ${sampledText(answer.result)}`);
  },
  oneRequiredString('prompt', 'What to ask the model'),
);

const elicitation = fixture(
  'test_elicitation',
  'Conformance fixture: asks the user for a username and an email address (elicitation/create).',
  async (args, context) => {
    const answer = await context.requestFromClient('elicitation/create', {
      message: String(args.message),
      requestedSchema: {
        type: 'object',
        properties: {
          username: { type: 'string', description: 'Your user name' },
          email: { type: 'string', description: 'Your email address' },
        },
        required: ['username', 'email'],
      },
    });
    return answer.ok ? textResult(describeElicitation(answer.result)) : failed('Elicitation', answer);
  },
  oneRequiredString('message', 'What to tell the user'),
);

/** Defaults of every primitive type (SEP-1034); the suite checks these exact values. */
const elicitationDefaults = fixture(
  'test_elicitation_sep1034_defaults',
  'Conformance fixture: an elicitation whose fields have defaults of every primitive type (SEP-1034).',
  async (_args, context) => {
    const answer = await context.requestFromClient('elicitation/create', {
      message: 'Check these details; each field has a default.',
      requestedSchema: {
        type: 'object',
        properties: {
          name: { type: 'string', description: 'Full name', default: 'John Doe' },
          age: { type: 'integer', description: 'Age in years', default: 30 },
          score: { type: 'number', description: 'Score', default: 95.5 },
          status: {
            type: 'string',
            description: 'Account status',
            enum: ['active', 'inactive', 'pending'],
            default: 'active',
          },
          verified: { type: 'boolean', description: 'Verified', default: true },
        },
      },
    });
    return answer.ok ? textResult(describeElicitation(answer.result)) : failed('Elicitation', answer);
  },
);

/** The five enum shapes of SEP-1330; the suite checks the field names and shapes. */
const elicitationEnums = fixture(
  'test_elicitation_sep1330_enums',
  'Conformance fixture: an elicitation with every enum shape (SEP-1330), single and multiple choice.',
  async (_args, context) => {
    const answer = await context.requestFromClient('elicitation/create', {
      message: 'Choose from each list.',
      requestedSchema: {
        type: 'object',
        properties: {
          untitledSingle: { type: 'string', description: 'One of three', enum: ['option1', 'option2', 'option3'] },
          titledSingle: {
            type: 'string',
            description: 'One of three, with titles',
            oneOf: [
              { const: 'value1', title: 'Value one' },
              { const: 'value2', title: 'Value two' },
              { const: 'value3', title: 'Value three' },
            ],
          },
          legacyEnum: {
            type: 'string',
            description: 'One of three, titled the deprecated way',
            enum: ['opt1', 'opt2', 'opt3'],
            enumNames: ['Opt one', 'Opt two', 'Opt three'],
          },
          untitledMulti: {
            type: 'array',
            description: 'Any of three',
            items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
          },
          titledMulti: {
            type: 'array',
            description: 'Any of three, with titles',
            items: {
              anyOf: [
                { const: 'value1', title: 'Choice one' },
                { const: 'value2', title: 'Choice two' },
                { const: 'value3', title: 'Choice three' },
              ],
            },
          },
        },
      },
    });
    return answer.ok ? textResult(describeElicitation(answer.result)) : failed('Elicitation', answer);
  },
);

/**
 * The fixture of the suite's json-schema-2020-12 scenario: an input schema in the 2020-12 dialect
 * (ToolCatalog compiles it with Ajv's 2020-12 class) with the keywords the suite checks are listed
 * unchanged: `$schema`, `$defs`, `additionalProperties` (SEP-1613), and since 0.2 `$anchor`,
 * `allOf`/`anyOf` and `if`/`then`/`else` (SEP-2106).
 */
export const jsonSchema2020Tool = fixture(
  'json_schema_2020_12_tool',
  'Conformance fixture: an input schema in the JSON Schema 2020-12 dialect ($defs, $anchor, $ref, allOf, if/then/else).',
  async (args) => textResult(`Received ${JSON.stringify(args)}.`),
  {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    type: 'object',
    $defs: {
      address: {
        $anchor: 'addressDef',
        type: 'object',
        properties: { street: { type: 'string' }, city: { type: 'string' } },
      },
    },
    properties: {
      name: { type: 'string' },
      address: { $ref: '#/$defs/address' },
      contactMethod: { type: 'string', enum: ['phone', 'email'] },
      phone: { type: 'string' },
      email: { type: 'string' },
    },
    // A way to reach the caller, and the one named by contactMethod when it is given.
    allOf: [{ anyOf: [{ required: ['phone'] }, { required: ['email'] }] }],
    if: { properties: { contactMethod: { const: 'phone' } }, required: ['contactMethod'] },
    // biome-ignore lint/suspicious/noThenProperty: a JSON Schema keyword; this object is never awaited.
    then: { required: ['phone'] },
    else: { required: ['email'] },
    additionalProperties: false,
  },
);

export const conformanceTools: readonly ToolDefinition[] = [
  simpleText,
  imageContent,
  audioContent,
  embeddedResource,
  multipleContentTypes,
  errorHandling,
  withLogging,
  withProgress,
  reconnection,
  sampling,
  elicitation,
  elicitationDefaults,
  elicitationEnums,
  jsonSchema2020Tool,
  ...conformanceTools2026,
  ...conformanceTaskTools,
];
