import fc from 'fast-check';
import type { DomainEvent, DomainEventType } from '../../../src/domain/events.js';

/** Arbitraries for every event type APEX records (used by round-trip and projection properties). */

export const microApx = (max = 100_000_000n) => fc.bigInt({ min: 0n, max });
export const signedMicroApx = fc.bigInt({ min: -100_000_000n, max: 100_000_000n });
export const requestId = fc.oneof(fc.integer({ min: -5, max: 1_000 }), fc.string({ maxLength: 8 }));
export const durationMs = fc.oneof(
  fc.nat({ max: 600_000 }),
  fc.double({ min: 0, max: 1e6, noNaN: true }).map((ms) => ms + 0),
); // + 0 turns -0 into 0, as JSON would
const text = fc.string({ maxLength: 12 });
// Through JSON once: fc.jsonValue may produce -0, which JSON itself writes as 0.
const json = fc.jsonValue({ maxDepth: 2 }).map((value) => JSON.parse(JSON.stringify(value)) as unknown);
const account = fc.constantFrom('agent-a', 'agent-b', 'system-bank');
const instance = fc.record({ id: text, pid: fc.nat(), host: text });
const isoTime = fc
  .date({ min: new Date('2020-01-01T00:00:00Z'), max: new Date('2040-01-01T00:00:00Z'), noInvalidDate: true })
  .map((date) => date.toISOString());
const inputRequest = fc.record({ method: text, params: json }, { requiredKeys: ['method'] });
const taskError = fc.record(
  { code: fc.integer({ min: -32_768, max: -32_000 }), message: text, data: json },
  { requiredKeys: ['code', 'message'] },
);

const arbitraries: { [Type in DomainEventType]: fc.Arbitrary<Extract<DomainEvent, { type: Type }>['data']> } = {
  AgentRegistered: fc.record({
    agentId: text,
    name: text,
    role: text,
    systemPrompt: text,
    permissions: fc.array(text, { maxLength: 3 }),
    debtLimit: microApx(),
  }),
  FundsCredited: fc.record({ amount: microApx(), reason: text, from: account, to: account }),
  FundsReserved: fc.record({ reservationId: text, tool: text, amount: microApx(), correlationId: text }),
  ReservationReleased: fc.record({ reservationId: text, amount: microApx(), reason: text }),
  ToolCallCharged: fc.record({
    reservationId: text,
    tool: text,
    amount: microApx(),
    reservedAmount: microApx(),
    durationMs,
    correlationId: text,
    from: account,
    to: account,
  }),
  PenaltyApplied: fc.record({ reason: text, amount: microApx(), correlationId: text, from: account, to: account }),
  PipInitiated: fc.record({ reason: text, balance: signedMicroApx }),
  PipCompleted: fc.record({ balance: signedMicroApx }),
  AgentSuspended: fc.record({
    reason: fc.constantFrom('bankrupt' as const, 'sandbox_escape' as const, 'administrative' as const),
    detail: text,
  }),
  AgentReinstated: fc.record({ reason: text }),
  SessionStarted: fc.record(
    { transport: text, agent: text, protocolVersion: text, clientInfo: json, clientCapabilities: json, instance },
    { requiredKeys: ['transport', 'agent'] },
  ),
  SessionInitialized: fc.record(
    { protocolVersion: text, clientInfo: json, clientCapabilities: json },
    { requiredKeys: ['protocolVersion'] },
  ),
  SessionAdopted: fc.record({ instance, previous: fc.option(instance, { nil: null }), cutOff: fc.nat() }),
  MessageStreamed: fc.record(
    { stream: fc.nat(), seq: fc.nat(), message: json, requestId },
    { requiredKeys: ['stream', 'seq', 'message'] },
  ),
  RequestReceived: fc.record(
    { requestId, method: text, params: json, protocolVersion: text, clientInfo: json, stream: fc.nat() },
    { requiredKeys: ['requestId', 'method'] },
  ),
  RequestCompleted: fc.record({ requestId, durationMs }),
  RequestFailed: fc.record({ requestId, code: fc.integer({ min: -32_768, max: -32_000 }), message: text, durationMs }),
  RequestTimedOut: fc.record({ requestId, ttlMs: durationMs, ageMs: durationMs }),
  RequestCancelled: fc.record({ requestId, reason: text }),
  ToolCallRequested: fc.record(
    {
      requestId,
      tool: text,
      arguments: json,
      continues: fc.record({ call: text, round: fc.nat(), inputProvided: fc.array(text, { maxLength: 3 }) }),
    },
    { requiredKeys: ['requestId', 'tool'] },
  ),
  ToolCallRunAsTask: fc.record({ requestId, tool: text, taskId: text }),
  ToolCallInputRequired: fc.record({
    requestId,
    tool: text,
    call: text,
    round: fc.nat(),
    inputKeys: fc.array(text, { maxLength: 3 }),
  }),
  ToolCallDenied: fc.record({ requestId, tool: text, code: text, reason: text }),
  ToolCallSucceeded: fc.record({ requestId, tool: text, durationMs }),
  ToolCallFailed: fc.record({ requestId, tool: text, durationMs, error: text }),
  SessionEnded: fc.record({ reason: text }),
  MessageRejected: fc.record(
    { code: fc.integer({ min: -32_768, max: -32_000 }), reason: text, requestId, bytes: fc.nat() },
    { requiredKeys: ['code', 'reason'] },
  ),
  ClientRequestSent: fc.record(
    { requestId, clientRequestId: requestId, method: text, params: json },
    { requiredKeys: ['requestId', 'clientRequestId', 'method'] },
  ),
  ClientRequestAnswered: fc.record(
    { requestId, clientRequestId: requestId, result: json },
    { requiredKeys: ['requestId', 'clientRequestId'] },
  ),
  ClientRequestFailed: fc.record({
    requestId,
    clientRequestId: requestId,
    outcome: fc.constantFrom('error' as const, 'timed_out' as const, 'cancelled' as const),
    code: fc.integer(),
    reason: text,
  }),
  SecurityIncidentReported: fc.record({ kind: text, detail: text, correlationId: text }),
  TokenIssued: fc.record({ agent: text, tokenHashPrefix: text }),
  AccessRefused: fc.record(
    {
      reason: fc.constantFrom(
        'missing_token',
        'malformed_authorization',
        'unknown_token',
        'origin_not_allowed',
        'session_of_another_agent',
        'permission_denied',
      ),
      httpStatus: fc.integer({ min: 400, max: 499 }),
      httpMethod: text,
      path: text,
      agent: text,
      origin: text,
      remoteAddress: text,
      tokenHashPrefix: text,
      sessionId: text,
    },
    { requiredKeys: ['reason', 'httpStatus', 'httpMethod', 'path'] },
  ),
  RequestRateLimited: fc.record(
    {
      agent: text,
      limit: fc.constantFrom('requests_per_second', 'concurrent_calls', 'open_sessions'),
      retryAfterMs: durationMs,
      httpMethod: text,
      sessionId: text,
      correlationId: text,
      method: text,
    },
    { requiredKeys: ['agent', 'limit', 'retryAfterMs', 'httpMethod'] },
  ),
  MemoryStored: fc.record(
    { key: text, text, tags: fc.array(text, { maxLength: 3 }) },
    { requiredKeys: ['text', 'tags'] },
  ),
  TaskCreated: fc.record(
    {
      taskId: text,
      requestId,
      correlationId: text,
      tool: text,
      agent: text,
      ttlMs: fc.option(durationMs, { nil: null }),
      pollIntervalMs: durationMs,
      at: isoTime,
      statusMessage: text,
    },
    { requiredKeys: ['taskId', 'requestId', 'correlationId', 'tool', 'agent', 'ttlMs', 'pollIntervalMs', 'at'] },
  ),
  TaskInputRequested: fc.record(
    { inputRequests: fc.dictionary(text, inputRequest, { maxKeys: 3 }), at: isoTime, statusMessage: text },
    { requiredKeys: ['inputRequests', 'at'] },
  ),
  TaskInputProvided: fc.record({ keys: fc.array(text, { maxLength: 3 }), at: isoTime }),
  TaskCompleted: fc.record({ result: json, at: isoTime }),
  TaskFailed: fc.record({ error: taskError, reason: text, at: isoTime }),
  TaskCancelled: fc.record({ reason: text, at: isoTime }),
  RequestStateConsumed: fc.record({
    nonce: text,
    agent: text,
    method: fc.constantFrom('tools/call', 'prompts/get'),
    call: text,
    round: fc.integer({ min: 1, max: 50 }),
    expiresAt: isoTime,
  }),
};

export const EVENT_TYPES_WITH_ARBITRARIES = Object.keys(arbitraries) as DomainEventType[];

export const domainEvent: fc.Arbitrary<DomainEvent> = fc.oneof(
  ...EVENT_TYPES_WITH_ARBITRARIES.map((type) =>
    (arbitraries[type] as fc.Arbitrary<unknown>).map((data) => ({ type, data }) as DomainEvent),
  ),
);
