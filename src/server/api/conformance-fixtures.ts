import * as E from 'fp-ts/lib/Either.js';
import type { ContentBlock } from '../tools/tool-definition.js';
import type { PromptDefinition, PromptMessage } from './prompts-api.js';
import type { ResourceContents, ResourceProvider } from './resources-api.js';

/**
 * The resources, prompts and sample media of the `conformance` toolset: what the official MCP
 * conformance suite (@modelcontextprotocol/conformance, server scenarios) reads. Texts are ours; the
 * suite checks names, URIs, shapes and MIME types. See docs/conformance.md.
 */

/** A 1×1 RGB PNG (one teal pixel), written with node:zlib for these fixtures. */
export const SAMPLE_PNG_BASE64 =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGOQz+8GAAHKARoLeFNrAAAAAElFTkSuQmCC';

const WAV_SAMPLE_RATE = 8_000;
/** 10 ms of sound: a valid file, small enough to read in a log line. */
const WAV_SAMPLES = 80;
/** Unsigned 8-bit PCM is centred on 128: silence. */
const PCM8_SILENCE = 128;

/** A mono 8-bit PCM WAV file of `samples` silent samples: the RIFF header, a `fmt ` chunk, a `data` chunk. */
const silentWav = (samples: number): Buffer => {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0, 'ascii');
  header.writeUInt32LE(36 + samples, 4);
  header.write('WAVE', 8, 'ascii');
  header.write('fmt ', 12, 'ascii');
  header.writeUInt32LE(16, 16); // size of the fmt chunk
  header.writeUInt16LE(1, 20); // PCM
  header.writeUInt16LE(1, 22); // one channel
  header.writeUInt32LE(WAV_SAMPLE_RATE, 24);
  header.writeUInt32LE(WAV_SAMPLE_RATE, 28); // bytes per second: one byte per sample
  header.writeUInt16LE(1, 32); // bytes per frame
  header.writeUInt16LE(8, 34); // bits per sample
  header.write('data', 36, 'ascii');
  header.writeUInt32LE(samples, 40);
  return Buffer.concat([header, Buffer.alloc(samples, PCM8_SILENCE)]);
};

export const SAMPLE_WAV_BASE64 = silentWav(WAV_SAMPLES).toString('base64');

export const sampleImage: ContentBlock = { type: 'image', data: SAMPLE_PNG_BASE64, mimeType: 'image/png' };
export const sampleAudio: ContentBlock = { type: 'audio', data: SAMPLE_WAV_BASE64, mimeType: 'audio/wav' };

// Resources

const STATIC_TEXT_URI = 'test://static-text';
const STATIC_BINARY_URI = 'test://static-binary';
const WATCHED_URI = 'test://watched-resource';
const TEMPLATE_URI = /^test:\/\/template\/([^/?#]+)\/data$/;

const STATIC_CONTENTS: ReadonlyMap<string, ResourceContents> = new Map<string, ResourceContents>([
  [
    STATIC_TEXT_URI,
    { uri: STATIC_TEXT_URI, mimeType: 'text/plain', text: 'Plain text from the APEX conformance fixtures.' },
  ],
  [STATIC_BINARY_URI, { uri: STATIC_BINARY_URI, mimeType: 'image/png', blob: SAMPLE_PNG_BASE64 }],
  [
    WATCHED_URI,
    {
      uri: WATCHED_URI,
      mimeType: 'text/plain',
      text: 'A fixture to subscribe to. It never changes, so no update is ever announced.',
    },
  ],
]);

const decodeSegment = (segment: string): string | undefined => {
  try {
    return decodeURIComponent(segment);
  } catch {
    return undefined;
  }
};

/** `test://template/{id}/data`: JSON that names the id it was read with. */
const readTemplate = (uri: string): ResourceContents | undefined => {
  const match = TEMPLATE_URI.exec(uri);
  const id = match === null ? undefined : decodeSegment(match[1]!);
  if (id === undefined) return undefined;
  return { uri, mimeType: 'application/json', text: JSON.stringify({ id, source: 'apex conformance template' }) };
};

export const conformanceResources: ResourceProvider = {
  resources: [
    {
      uri: STATIC_TEXT_URI,
      name: 'conformance-static-text',
      title: 'Static text',
      description: 'Conformance fixture: a plain-text resource.',
      mimeType: 'text/plain',
    },
    {
      uri: STATIC_BINARY_URI,
      name: 'conformance-static-binary',
      title: 'Static binary',
      description: 'Conformance fixture: a PNG image, read as a base64 blob.',
      mimeType: 'image/png',
    },
    {
      uri: WATCHED_URI,
      name: 'conformance-watched',
      title: 'Watched resource',
      description: 'Conformance fixture: a resource that accepts subscriptions.',
      mimeType: 'text/plain',
    },
  ],
  templates: [
    {
      uriTemplate: 'test://template/{id}/data',
      name: 'conformance-template',
      title: 'Template data',
      description: 'Conformance fixture: JSON naming the {id} it was read with.',
      mimeType: 'application/json',
    },
  ],
  read: async (uri) => {
    const contents = STATIC_CONTENTS.get(uri) ?? readTemplate(uri);
    return contents === undefined ? undefined : [contents];
  },
};

// Prompts

const userSays = (content: ContentBlock): PromptMessage => ({ role: 'user', content });
const userText = (text: string): PromptMessage => userSays({ type: 'text', text });

const noArgumentPrompt = (
  name: string,
  title: string,
  description: string,
  messages: readonly PromptMessage[],
): PromptDefinition => ({ name, title, description, arguments: [], render: () => E.right(messages) });

export const conformancePrompts: readonly PromptDefinition[] = [
  noArgumentPrompt('test_simple_prompt', 'Simple prompt', 'Conformance fixture: one text message, no arguments.', [
    userText('A prompt without arguments, from the APEX conformance fixtures.'),
  ]),
  {
    name: 'test_prompt_with_arguments',
    title: 'Prompt with arguments',
    description: 'Conformance fixture: a text message quoting its two arguments.',
    arguments: [
      { name: 'arg1', description: 'The first value to quote', required: true },
      { name: 'arg2', description: 'The second value to quote', required: true },
    ],
    render: (args) => E.right([userText(`You gave arg1 = "${args.arg1}" and arg2 = "${args.arg2}".`)]),
  },
  {
    name: 'test_prompt_with_embedded_resource',
    title: 'Prompt with an embedded resource',
    description: 'Conformance fixture: a resource embedded under the URI given, then a text message.',
    arguments: [{ name: 'resourceUri', description: 'The URI to embed the resource under', required: true }],
    render: (args) =>
      E.right([
        userSays({
          type: 'resource',
          resource: { uri: args.resourceUri, mimeType: 'text/plain', text: 'Text embedded by a conformance prompt.' },
        }),
        userText('Summarise the resource above.'),
      ]),
  },
  noArgumentPrompt(
    'test_prompt_with_image',
    'Prompt with an image',
    'Conformance fixture: a PNG image, then a text message.',
    [userSays(sampleImage), userText('Describe the image above.')],
  ),
  {
    name: 'test_input_required_result_prompt',
    title: 'Prompt that asks first',
    description: 'Conformance fixture: asks the user (elicitation) what context to use, then writes a message with it.',
    arguments: [],
    asks: {
      key: 'user_context',
      method: 'elicitation/create',
      params: {
        message: 'What context should the prompt use?',
        requestedSchema: { type: 'object', properties: { context: { type: 'string' } }, required: ['context'] },
      },
    },
    render: (_args, requester) => {
      const content = requester.answer?.content as { context?: unknown } | undefined;
      const context = typeof content?.context === 'string' ? content.context : 'none given';
      return E.right([userText(`Work within this context: ${context}.`)]);
    },
  },
];
