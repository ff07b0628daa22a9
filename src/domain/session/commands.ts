import type { RequestId } from '../event-definition.js';
import type { Instance } from './events.js';

/** Commands on one session (stream `session-<id>`). Params and arguments arrive already redacted. */
export type SessionCommand =
  | {
      readonly type: 'StartSession';
      readonly data: {
        readonly transport: string;
        readonly agent: string;
        readonly protocolVersion?: string;
        readonly clientInfo?: unknown;
        readonly clientCapabilities?: unknown;
        readonly instance?: Instance;
      };
    }
  | {
      readonly type: 'InitializeSession';
      readonly data: {
        readonly protocolVersion: string;
        readonly clientInfo?: unknown;
        readonly clientCapabilities?: unknown;
      };
    }
  | {
      readonly type: 'AdoptSession';
      /** `cutOff`: how many requests the adopter already recorded as cut off, just before. */
      readonly data: { readonly instance: Instance; readonly reason: string; readonly cutOff: number };
    }
  | {
      readonly type: 'StreamMessage';
      readonly data: {
        readonly stream: number;
        readonly seq: number;
        readonly message: unknown;
        readonly requestId?: RequestId;
      };
    }
  | {
      readonly type: 'ReceiveRequest';
      readonly data: {
        readonly requestId: RequestId;
        readonly method: string;
        readonly params?: unknown;
        readonly protocolVersion?: string;
        readonly clientInfo?: unknown;
        readonly stream?: number;
      };
    }
  | { readonly type: 'CompleteRequest'; readonly data: { readonly requestId: RequestId; readonly durationMs: number } }
  | {
      readonly type: 'FailRequest';
      readonly data: {
        readonly requestId: RequestId;
        readonly code: number;
        readonly message: string;
        readonly durationMs: number;
      };
    }
  | {
      readonly type: 'TimeOutRequest';
      readonly data: { readonly requestId: RequestId; readonly ttlMs: number; readonly ageMs: number };
    }
  | { readonly type: 'CancelRequest'; readonly data: { readonly requestId: RequestId; readonly reason: string } }
  | {
      readonly type: 'RequestToolCall';
      readonly data: {
        readonly requestId: RequestId;
        readonly tool: string;
        readonly arguments?: unknown;
        readonly continues?: { readonly call: string; readonly round: number; readonly inputProvided: string[] };
      };
    }
  | {
      readonly type: 'RecordToolCallRunAsTask';
      readonly data: { readonly requestId: RequestId; readonly tool: string; readonly taskId: string };
    }
  | {
      readonly type: 'RecordToolCallInputRequired';
      readonly data: {
        readonly requestId: RequestId;
        readonly tool: string;
        readonly call: string;
        readonly round: number;
        readonly inputKeys: string[];
      };
    }
  | {
      readonly type: 'DenyToolCall';
      readonly data: {
        readonly requestId: RequestId;
        readonly tool: string;
        readonly code: string;
        readonly reason: string;
      };
    }
  | {
      readonly type: 'RecordToolCallSuccess';
      readonly data: { readonly requestId: RequestId; readonly tool: string; readonly durationMs: number };
    }
  | {
      readonly type: 'RecordToolCallFailure';
      readonly data: {
        readonly requestId: RequestId;
        readonly tool: string;
        readonly durationMs: number;
        readonly error: string;
      };
    }
  | { readonly type: 'EndSession'; readonly data: { readonly reason: string } }
  | {
      readonly type: 'RejectMessage';
      readonly data: {
        readonly code: number;
        readonly reason: string;
        readonly requestId?: RequestId;
        readonly bytes?: number;
      };
    }
  | {
      readonly type: 'SendClientRequest';
      readonly data: {
        readonly requestId: RequestId;
        readonly clientRequestId: RequestId;
        readonly method: string;
        readonly params?: unknown;
      };
    }
  | {
      readonly type: 'RecordClientAnswer';
      readonly data: { readonly requestId: RequestId; readonly clientRequestId: RequestId; readonly result?: unknown };
    }
  | {
      readonly type: 'RecordClientRequestFailure';
      readonly data: {
        readonly requestId: RequestId;
        readonly clientRequestId: RequestId;
        readonly outcome: 'error' | 'timed_out' | 'cancelled';
        readonly code: number;
        readonly reason: string;
      };
    };
