import type { Client } from '@modelcontextprotocol/sdk/client/index.js';
import {
  CreateMessageRequestSchema,
  ElicitRequestSchema,
  ErrorCode,
  McpError,
} from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RecordedEvent } from '../../src/store/event-store.js';
import { closeAndWaitForExit, connectSdkClient, readAllEvents, writeConfig } from '../support/apex-process.js';
import { connectHttpClient, type HttpApex, issueToken, startHttpApex } from '../support/http-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('e2e-client-requests');

const CONFIG = {
  agents: { alice: { name: 'Alice', balance: '100', permissions: ['demo'] } },
  toolsets: ['demo'],
};

const CAPABILITIES = { sampling: {}, elicitation: { form: {} } };

const textOf = (result: unknown): string | undefined =>
  ((result as { content?: unknown }).content as { text?: string }[] | undefined)?.[0]?.text;

/**
 * The client side of sampling and elicitation: the model "answers" with the prompt upper-cased;
 * a prompt of "refuse" is refused; a prompt of "hang" waits until the server cancels it.
 */
interface ClientSide {
  cancelledByServer: number;
  /** Called when a "hang" sampling request has reached the client. */
  onHang?: () => void;
}

const answerLikeAClient = (client: Client, seen: ClientSide) => {
  client.setRequestHandler(CreateMessageRequestSchema, async (request, extra) => {
    const prompt = (request.params.messages[0]?.content as { text?: string } | undefined)?.text ?? '';
    if (prompt === 'refuse') throw new McpError(ErrorCode.InvalidRequest, 'the user refused sampling');
    if (prompt === 'hang') {
      seen.onHang?.();
      await new Promise<void>((resolve) => extra.signal.addEventListener('abort', () => resolve()));
      seen.cancelledByServer++;
      throw new McpError(ErrorCode.InternalError, 'cancelled');
    }
    return { role: 'assistant', content: { type: 'text', text: prompt.toUpperCase() }, model: 'test-model' };
  });
  client.setRequestHandler(ElicitRequestSchema, async (request) =>
    request.params.message === 'Proceed?' ? { action: 'accept', content: { answer: 'yes' } } : { action: 'decline' },
  );
};

const sessionEventsOf = (events: readonly RecordedEvent[], correlationId: string | undefined) =>
  events.filter((event) => event.stream.startsWith('session-') && event.metadata.correlationId === correlationId);

/** The correlation id of the tools/call request of `tool` whose arguments contain `marker`. */
const callOf = (events: readonly RecordedEvent[], marker: string): string | undefined =>
  events.find(
    (event) =>
      event.type === 'ToolCallRequested' &&
      JSON.stringify((event.data as { arguments?: unknown }).arguments).includes(marker),
  )?.metadata.correlationId as string | undefined;

describe('server-to-client requests (sampling, elicitation) over stdio, with the SDK 1.x client as the peer', () => {
  const store = temp.file();
  let events: RecordedEvent[] = [];
  const seen: ClientSide = { cancelledByServer: 0 };
  const results: Record<string, unknown> = {};

  beforeAll(async () => {
    const config = writeConfig(temp.dir, CONFIG);
    const { client, transport } = await connectSdkClient({ config, store, agent: 'alice', capabilities: CAPABILITIES });
    answerLikeAClient(client, seen);
    results.sampled = await client.callTool({ name: 'ask_model', arguments: { prompt: 'what is six times seven' } });
    results.refused = await client.callTool({ name: 'ask_model', arguments: { prompt: 'refuse' } });
    results.accepted = await client.callTool({ name: 'ask_user', arguments: { question: 'Proceed?' } });
    results.declined = await client.callTool({ name: 'ask_user', arguments: { question: 'Delete it all?' } });
    // The client cancels the call while the server's sampling request is pending on the client.
    const controller = new AbortController();
    const hanging = new Promise<void>((resolve) => {
      seen.onHang = resolve;
    });
    const cancelled = client
      .callTool({ name: 'ask_model', arguments: { prompt: 'hang' } }, undefined, { signal: controller.signal })
      .catch((error: unknown) => error);
    await hanging;
    controller.abort('stop');
    results.cancelled = await cancelled;
    // After a cancellation the connection goes on serving.
    results.after = await client.callTool({ name: 'echo', arguments: { message: 'still here' } });
    await closeAndWaitForExit(client, transport);

    // A client that declared neither capability: the tool fails cleanly; nothing is sent to it.
    const bare = await connectSdkClient({ config, store, agent: 'alice' });
    results.unsupported = await bare.client.callTool({ name: 'ask_model', arguments: { prompt: 'no capability' } });
    await closeAndWaitForExit(bare.client, bare.transport);
    events = await readAllEvents(store);
  }, 120_000);

  it("returns the model's answer, recorded as sent and answered inside the call", () => {
    expect(textOf(results.sampled)).toBe('WHAT IS SIX TIMES SEVEN');
    const call = sessionEventsOf(events, callOf(events, 'six times seven'));
    expect(call.map((event) => event.type)).toEqual([
      'RequestReceived',
      'ToolCallRequested',
      'ClientRequestSent',
      'ClientRequestAnswered',
      'ToolCallSucceeded',
      'RequestCompleted',
    ]);
    expect(call[2]?.data).toMatchObject({ method: 'sampling/createMessage', params: { maxTokens: 256 } });
    expect(call[3]?.data).toMatchObject({ result: { model: 'test-model' } });
    const idOf = (event: RecordedEvent | undefined) =>
      (event?.data as { clientRequestId?: string } | undefined)?.clientRequestId;
    expect(idOf(call[2])).toMatch(/^apex-/);
    expect(idOf(call[2])).toBe(idOf(call[3]));
  });

  it("turns the client's refusal into an isError result, with the client's error recorded", () => {
    expect(results.refused).toMatchObject({ isError: true });
    expect(textOf(results.refused)).toContain('the user refused sampling');
    const call = sessionEventsOf(events, callOf(events, 'refuse'));
    expect(call.find((event) => event.type === 'ClientRequestFailed')?.data).toMatchObject({
      outcome: 'error',
      code: ErrorCode.InvalidRequest,
    });
  });

  it('asks the user through elicitation: accept returns the answer, decline says so', () => {
    expect(textOf(results.accepted)).toBe('yes');
    expect(textOf(results.declined)).toBe('the user chose to decline');
    const call = sessionEventsOf(events, callOf(events, 'Proceed?'));
    expect(call.find((event) => event.type === 'ClientRequestSent')?.data).toMatchObject({
      method: 'elicitation/create',
    });
    expect(call.find((event) => event.type === 'ClientRequestAnswered')?.data).toMatchObject({
      result: { action: 'accept', content: { answer: 'yes' } },
    });
  });

  it('cancels the pending sampling request on the client when the call is cancelled, and records both', () => {
    expect(seen.cancelledByServer).toBe(1);
    expect(results.cancelled).toBeInstanceOf(Error);
    const call = sessionEventsOf(events, callOf(events, 'hang'));
    expect(call.map((event) => event.type)).toEqual([
      'RequestReceived',
      'ToolCallRequested',
      'ClientRequestSent',
      'ClientRequestFailed',
      'ToolCallFailed',
      'RequestCancelled',
    ]);
    expect(call[3]?.data).toMatchObject({ outcome: 'cancelled' });
    expect(textOf(results.after)).toBe('still here');
  });

  it('does not send a request the client did not declare the capability for', () => {
    expect(results.unsupported).toMatchObject({ isError: true });
    expect(textOf(results.unsupported)).toContain('sampling capability');
    const call = sessionEventsOf(events, callOf(events, 'no capability'));
    expect(call.map((event) => event.type)).not.toContain('ClientRequestSent');
  });
});

describe('server-to-client requests over Streamable HTTP, with the SDK 1.x client as the peer', () => {
  const store = temp.file();
  let apex: HttpApex;
  let events: RecordedEvent[] = [];
  const results: Record<string, unknown> = {};

  beforeAll(async () => {
    const token = await issueToken('alice', store);
    const config = writeConfig(temp.dir, { ...CONFIG, tokens: { alice: [token.hash] } }, 'http.config.json');
    apex = await startHttpApex({ config, store });
    const { client } = await connectHttpClient(apex.url, token.token, 'http-client-requests', CAPABILITIES);
    answerLikeAClient(client, { cancelledByServer: 0 });
    results.sampled = await client.callTool({ name: 'ask_model', arguments: { prompt: 'over http' } });
    results.accepted = await client.callTool({ name: 'ask_user', arguments: { question: 'Proceed?' } });
    await client.close();
    await apex.stop();
    events = await readAllEvents(store);
  }, 120_000);

  afterAll(async () => {
    await apex?.stop();
  });

  it("sends the request on the call's stream and takes the answer from a POST", () => {
    expect(textOf(results.sampled)).toBe('OVER HTTP');
    expect(textOf(results.accepted)).toBe('yes');
    const call = sessionEventsOf(events, callOf(events, 'over http'));
    // On HTTP each message of the call's SSE stream is recorded too (MessageStreamed): the request, then the answer.
    expect(call.map((event) => event.type)).toEqual([
      'RequestReceived',
      'ToolCallRequested',
      'ClientRequestSent',
      'MessageStreamed',
      'ClientRequestAnswered',
      'ToolCallSucceeded',
      'RequestCompleted',
      'MessageStreamed',
    ]);
    expect(call[3]?.data).toMatchObject({ message: { method: 'sampling/createMessage' } });
  });
});
