import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { RequestId } from '../domain/event-definition.js';
import type { SessionCommand } from '../domain/session/commands.js';
import { APEX_ERROR_CODES, JSON_RPC_ERROR_CODES } from '../protocol/error-codes.js';
import type { ActiveRequest } from './active-requests.js';
import type { OutgoingMessage } from './connection.js';
import type { ClientAnswer, ClientRequestMethod, JsonObject } from './tools/tool-definition.js';

export interface ClientRequestsOptions {
  /** Sends a message on the stream of the request it belongs to. */
  readonly send: (message: OutgoingMessage, relatedRequestId: RequestId) => void;
  /** Records a session event for the request with this correlation id; resolves once durable. */
  readonly record: (command: SessionCommand, correlationId: string) => Promise<void>;
  /** What of a payload may be recorded (the session's params policy); undefined: nothing. */
  readonly redact: (payload: unknown) => unknown;
  readonly logger: Logger;
}

export interface ClientResponse {
  readonly id: RequestId | null;
  readonly result?: unknown;
  readonly error?: unknown;
}

interface Pending {
  readonly active: ActiveRequest;
  readonly finish: (outcome: Settlement) => void;
}

type Settlement =
  | { readonly kind: 'answered'; readonly result: JsonObject }
  | {
      readonly kind: 'error' | 'timed_out' | 'cancelled';
      readonly code: number;
      readonly reason: string;
      /** The client no longer needs to work on it: tell it (notifications/cancelled). */
      readonly tellClient: boolean;
    };

/** The capability a client must declare before the server may send it this request. */
const requiredCapability = (method: ClientRequestMethod, params: JsonObject): readonly string[] => {
  switch (method) {
    case 'sampling/createMessage':
      return ['sampling'];
    case 'elicitation/create':
      return params.mode === 'url' ? ['elicitation', 'url'] : ['elicitation'];
    case 'roots/list':
      return ['roots'];
  }
};

const declares = (capabilities: unknown, path: readonly string[]): boolean => {
  let node = capabilities;
  for (const key of path) {
    if (typeof node !== 'object' || node === null || !Object.hasOwn(node, key)) return false;
    node = (node as Record<string, unknown>)[key];
  }
  return typeof node === 'object' && node !== null;
};

const isJsonObject = (value: unknown): value is JsonObject =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

const clientErrorOf = (error: unknown): { code: number; reason: string } => {
  const { code, message } = (isJsonObject(error) ? error : {}) as { code?: unknown; message?: unknown };
  return {
    code: typeof code === 'number' && Number.isInteger(code) ? code : JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
    reason: typeof message === 'string' ? message.slice(0, 500) : 'the client answered with an error',
  };
};

/**
 * Requests the server sends its client on behalf of a request in flight (sampling, elicitation,
 * roots): id correlation, a deadline, cancellation with the request they serve, and a record of
 * each one (sent, then answered or failed) in the session, written before the request leaves and
 * before the answer is handed to the tool.
 */
export class ClientRequests {
  /** Ids are unique per process, so an answer meant for a previous run can never match. */
  private readonly idPrefix = `apex-${randomBytes(4).toString('hex')}-`;
  private nextId = 0;
  private readonly pending = new Map<string, Pending>();

  constructor(private readonly options: ClientRequestsOptions) {}

  get size(): number {
    return this.pending.size;
  }

  async request(
    active: ActiveRequest,
    clientCapabilities: unknown,
    method: ClientRequestMethod,
    params: JsonObject,
    timeoutMs: number,
  ): Promise<ClientAnswer> {
    const capability = requiredCapability(method, params);
    if (!declares(clientCapabilities, capability)) {
      return {
        ok: false,
        error: {
          code: JSON_RPC_ERROR_CODES.METHOD_NOT_FOUND,
          message: `the client did not declare the ${capability.join('.')} capability, so ${method} cannot be sent`,
        },
      };
    }
    if (active.signal.aborted)
      return { ok: false, error: { code: JSON_RPC_ERROR_CODES.INTERNAL_ERROR, message: 'cancelled' } };

    const id = `${this.idPrefix}${++this.nextId}`;
    const recordedParams = this.options.redact(params);
    await this.options.record(
      {
        type: 'SendClientRequest',
        data: {
          requestId: active.id,
          clientRequestId: id,
          method,
          ...(recordedParams === undefined ? {} : { params: recordedParams }),
        },
      },
      active.correlationId,
    );

    return new Promise<ClientAnswer>((resolve) => {
      const onAbort = () =>
        finish({
          kind: 'cancelled',
          code: JSON_RPC_ERROR_CODES.INTERNAL_ERROR,
          reason: 'the call it served ended',
          tellClient: true,
        });
      const timer = setTimeout(
        () =>
          finish({
            kind: 'timed_out',
            code: APEX_ERROR_CODES.REQUEST_TIMED_OUT,
            reason: `no answer within ${timeoutMs} ms`,
            tellClient: true,
          }),
        timeoutMs,
      );
      timer.unref();
      const finish = (settlement: Settlement) => {
        if (!this.pending.delete(id)) return;
        clearTimeout(timer);
        active.signal.removeEventListener('abort', onAbort);
        if (settlement.kind !== 'answered' && settlement.tellClient) {
          this.options.send(
            { jsonrpc: '2.0', method: 'notifications/cancelled', params: { requestId: id, reason: settlement.reason } },
            active.id,
          );
        }
        void this.recordSettlement(active, id, settlement).then(() =>
          resolve(
            settlement.kind === 'answered'
              ? { ok: true, result: settlement.result }
              : { ok: false, error: { code: settlement.code, message: settlement.reason } },
          ),
        );
      };
      this.pending.set(id, { active, finish });
      active.signal.addEventListener('abort', onAbort, { once: true });
      this.options.send({ jsonrpc: '2.0', id, method, params }, active.id);
    });
  }

  /** Hands a response from the client to the request waiting for it; false when none is. */
  settle(response: ClientResponse): boolean {
    const pending = typeof response.id === 'string' ? this.pending.get(response.id) : undefined;
    if (pending === undefined) return false;
    if (response.error !== undefined) {
      pending.finish({ kind: 'error', ...clientErrorOf(response.error), tellClient: false });
    } else if (isJsonObject(response.result)) {
      pending.finish({ kind: 'answered', result: response.result });
    } else {
      pending.finish({
        kind: 'error',
        code: JSON_RPC_ERROR_CODES.INVALID_PARAMS,
        reason: 'the client answered with a result that is not an object',
        tellClient: false,
      });
    }
    return true;
  }

  private async recordSettlement(active: ActiveRequest, id: string, settlement: Settlement): Promise<void> {
    const recordedResult = settlement.kind === 'answered' ? this.options.redact(settlement.result) : undefined;
    try {
      await this.options.record(
        settlement.kind === 'answered'
          ? {
              type: 'RecordClientAnswer',
              data: {
                requestId: active.id,
                clientRequestId: id,
                ...(recordedResult === undefined ? {} : { result: recordedResult }),
              },
            }
          : {
              type: 'RecordClientRequestFailure',
              data: {
                requestId: active.id,
                clientRequestId: id,
                outcome: settlement.kind,
                code: settlement.code,
                reason: settlement.reason,
              },
            },
        active.correlationId,
      );
    } catch (error) {
      // The request it served has already ended (and its end is recorded): nothing more to add.
      this.options.logger.warn({ err: error, clientRequestId: id }, 'could not record the end of a client request');
    }
  }
}
