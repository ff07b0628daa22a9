import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { decodeEvent, encodeEvent } from '../../src/domain/events.js';
import type { SessionCommand } from '../../src/domain/session/commands.js';
import {
  decideSession,
  evolveSession,
  evolveSessionInPlace,
  initialSessionState,
  type SessionState,
} from '../../src/domain/session/decider.js';
import type { SessionEvent } from '../../src/domain/session/events.js';
import { requestKey } from '../../src/domain/session/request-lifetime.js';

const id = fc.constantFrom<string | number>(1, 2, '1', 'x');
const tool = fc.constantFrom('search', 'shell');

const command: fc.Arbitrary<SessionCommand> = fc.oneof(
  id.map((requestId): SessionCommand => ({ type: 'ReceiveRequest', data: { requestId, method: 'tools/call' } })),
  id.map((requestId): SessionCommand => ({ type: 'CompleteRequest', data: { requestId, durationMs: 1 } })),
  id.map(
    (requestId): SessionCommand => ({
      type: 'FailRequest',
      data: { requestId, code: -1, message: 'm', durationMs: 1 },
    }),
  ),
  id.map((requestId): SessionCommand => ({ type: 'TimeOutRequest', data: { requestId, ttlMs: 1, ageMs: 2 } })),
  id.map((requestId): SessionCommand => ({ type: 'CancelRequest', data: { requestId, reason: 'r' } })),
  fc
    .tuple(id, tool)
    .map(([requestId, tool]): SessionCommand => ({ type: 'RequestToolCall', data: { requestId, tool } })),
  fc.tuple(id, tool).map(
    ([requestId, tool]): SessionCommand => ({
      type: 'RecordToolCallSuccess',
      data: { requestId, tool, durationMs: 1 },
    }),
  ),
  fc.tuple(id, tool).map(
    ([requestId, tool]): SessionCommand => ({
      type: 'DenyToolCall',
      data: { requestId, tool, code: 'PERMISSION_DENIED', reason: 'r' },
    }),
  ),
);

const TERMINAL = new Set(['RequestCompleted', 'RequestFailed', 'RequestTimedOut', 'RequestCancelled']);
const OUTCOME = new Set(['ToolCallDenied', 'ToolCallSucceeded', 'ToolCallFailed']);

describe('a session, over random command sequences', () => {
  it('ends every request exactly once, keeps only active requests, evolves the same in place, and writes decodable events', () => {
    fc.assert(
      fc.property(fc.array(command, { minLength: 5, maxLength: 60, size: 'max' }), (commands) => {
        const all: SessionCommand[] = [
          { type: 'StartSession', data: { transport: 'stdio', agent: 'a' } },
          ...commands,
          { type: 'EndSession', data: { reason: 'done' } },
        ];
        let state: SessionState = initialSessionState();
        const fastState = initialSessionState();
        const log: SessionEvent[] = [];
        for (const next of all) {
          const decision = decideSession(next, state);
          if (E.isLeft(decision)) continue;
          for (const event of decision.right) {
            state = evolveSession(state, event);
            evolveSessionInPlace(fastState, event);
            log.push(event);
            const encoded = encodeEvent(event);
            expect(decodeEvent(encoded.type, encoded.schemaVersion, JSON.parse(JSON.stringify(encoded.data)))).toEqual(
              E.right(event),
            );
          }
          expect(fastState).toEqual(state);
        }

        const open = new Map<string, { outcomes: number }>();
        for (const event of log) {
          if (event.type === 'RequestReceived') {
            expect(open.has(requestKey(event.data.requestId))).toBe(false);
            open.set(requestKey(event.data.requestId), { outcomes: 0 });
          } else if (TERMINAL.has(event.type) && 'requestId' in event.data && event.data.requestId !== undefined) {
            expect(open.delete(requestKey(event.data.requestId))).toBe(true);
          } else if (OUTCOME.has(event.type) && 'requestId' in event.data && event.data.requestId !== undefined) {
            const request = open.get(requestKey(event.data.requestId));
            expect(request).toBeDefined();
            if (request !== undefined) request.outcomes++;
            expect(request?.outcomes).toBe(1);
          }
        }
        expect(open.size).toBe(0);
        expect(state.active.size).toBe(0);
        expect(log.at(-1)?.type).toBe('SessionEnded');
      }),
      { numRuns: 300 },
    );
  });
});
