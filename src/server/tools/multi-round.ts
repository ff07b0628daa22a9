import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { EventStore } from '../../store/event-store.js';
import { isValidId } from '../../store/stream-name.js';
import { ConsumedRequestStates } from '../mrtr/consumed-states.js';
import { recordRequestStateConsumed } from '../mrtr/consumption-log.js';
import {
  requestParamsDigest,
  requestStateRefused,
  signRequestState,
  type VerifiedRequestState,
  verifyRequestState,
} from '../mrtr/request-state.js';
import type { JsonRpcError } from '../outcome.js';
import type { ClientAnswer, ClientRequestMethod, ClientRequestOptions, JsonObject } from './tool-definition.js';

/**
 * Multi round-trip requests (2026-07-28): a tool that needs the client (sampling, elicitation,
 * roots) cannot ask it mid-call, so the call ends with an `input_required` result, and the client
 * calls again with the answers. APEX re-runs the tool each round: its n-th question of a run has the
 * key `input-n`, so an answer given in an earlier round is found again under the same key. Answers
 * travel back and forth inside the signed `requestState` (HMAC, bound to the agent and the call's
 * arguments), so a client can neither alter them nor graft them onto another call; a state is
 * accepted once (its nonce, recorded in the store), so a replayed round is refused by every process
 * on the store.
 */

/**
 * Thrown out of a tool's run when it needs a capability the request did not declare: the call ends
 * with MissingRequiredClientCapability (-32021) naming it.
 */
export class MissingClientCapability extends Error {
  constructor(readonly capability: string) {
    super(`missing client capability: ${capability}`);
  }
}

/** Thrown out of a tool's run when it asks something the client has not answered yet. */
export class InputRequired extends Error {
  constructor(
    readonly key: string,
    readonly request: { readonly method: ClientRequestMethod; readonly params: JsonObject },
  ) {
    super(`input required: ${request.method}`);
  }
}

const Continuation = t.type({
  /** The correlation id of the call's first round: every round is linked to it. */
  call: t.string,
  /** Answers gathered so far, by key. */
  answers: t.record(t.string, t.UnknownRecord),
  /** The keys the last round asked for: only those may be answered now. */
  pending: t.array(t.string),
});
type Continuation = t.TypeOf<typeof Continuation>;

const CAPABILITY_OF: Readonly<Record<ClientRequestMethod, string>> = {
  'sampling/createMessage': 'sampling',
  'elicitation/create': 'elicitation',
  'roots/list': 'roots',
};

/** What a round knows: the answers so far, and how to ask for more. */
export interface Round {
  /** The call this round continues (its first round's correlation id); the current one on the first round. */
  readonly call: string;
  readonly number: number;
  /** Keys answered by the client in this request (recorded as input provided). */
  readonly provided: readonly string[];
  readonly requestFromClient: (
    method: ClientRequestMethod,
    params: JsonObject,
    options?: ClientRequestOptions,
  ) => Promise<ClientAnswer>;
  /** The `input_required` result for every question the run asked and could not be answered. */
  readonly inputRequired: (asked: InputRequired) => Record<string, unknown>;
  /** The keys of those questions. */
  readonly pendingKeys: (asked: InputRequired) => string[];
}

export interface RoundRequest {
  /** The request a round belongs to: tools/call (the default) or prompts/get. */
  readonly method?: 'tools/call' | 'prompts/get';
  readonly agent: string;
  readonly correlationId: string;
  readonly params: unknown;
  readonly clientCapabilities: unknown;
  readonly now: number;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** What a request's state says, once verified: the call so far, and the state to mark used. */
interface CheckedRound {
  readonly method: 'tools/call' | 'prompts/get';
  readonly paramsDigest: string;
  readonly continuation: Continuation;
  readonly number: number;
  readonly provided: readonly string[];
  /** The state this request continues with; undefined on a first round. */
  readonly verified?: VerifiedRequestState;
}

const alreadyUsed = (): JsonRpcError =>
  requestStateRefused({
    reason: 'wrong_request',
    message: 'This requestState was already used. Send the request again without requestState to start over.',
  });

/**
 * The request-state key, this process's replay guard, and the store every process shares: a state
 * is accepted once, by one process, whichever process behind the endpoint it reaches.
 */
export class MultiRoundCalls {
  private readonly consumed = new ConsumedRequestStates();

  constructor(
    private readonly key: Buffer,
    private readonly store: EventStore,
  ) {}

  /**
   * Opens the round a request is: the first, or the next of a call whose state verifies and was
   * not used before — neither in this process (a check in memory, first) nor in any process on the
   * same store (RequestStateConsumed, appended where only one writer can succeed).
   */
  async openRound(request: RoundRequest): Promise<E.Either<JsonRpcError, Round>> {
    const checked = this.check(request);
    if (E.isLeft(checked)) return E.left(checked.left);
    const { verified } = checked.right;
    if (verified !== undefined) {
      if (!this.consumed.consume(verified, request.now)) return E.left(alreadyUsed());
      let recorded: boolean;
      try {
        recorded = await recordRequestStateConsumed(this.store, verified, {
          agent: request.agent,
          method: checked.right.method,
          correlationId: request.correlationId,
          now: request.now,
        });
      } catch (error) {
        // Whether the use was recorded is unknown: the store, not this process, judges a retry.
        this.consumed.forget(verified);
        throw error;
      }
      if (!recorded) return E.left(alreadyUsed());
    }
    return E.right(this.roundOf(request, checked.right));
  }

  /** Verifies the request's state, if it has one, and gathers the answers it brings. Marks nothing used. */
  private check(request: RoundRequest): E.Either<JsonRpcError, CheckedRound> {
    const params = isObject(request.params) ? request.params : {};
    const method = request.method ?? 'tools/call';
    const paramsDigest = requestParamsDigest(method, params);
    if (params.requestState === undefined) {
      const continuation: Continuation = { call: request.correlationId, answers: {}, pending: [] };
      if (isObject(params.inputResponses)) {
        // Answers sent with a first round (no state yet) are taken for the questions they name.
        for (const [key, answer] of Object.entries(params.inputResponses)) {
          if (isObject(answer)) continuation.answers[key] = answer;
        }
      }
      return E.right({ method, paramsDigest, continuation, number: 1, provided: [] });
    }
    const verified = verifyRequestState(this.key, params.requestState, {
      agent: request.agent,
      method,
      paramsDigest,
      now: request.now,
    });
    if (E.isLeft(verified)) return E.left(requestStateRefused(verified.left));
    const decoded = Continuation.decode(verified.right.payload);
    // APEX's nonces are hex; one that cannot name its consumption stream was not issued by this build.
    if (E.isLeft(decoded) || !isValidId(verified.right.nonce)) {
      return E.left(requestStateRefused({ reason: 'malformed', message: 'Unreadable state.' }));
    }
    const responses = isObject(params.inputResponses) ? params.inputResponses : {};
    // Only answers to what the last round asked count; unknown keys are ignored.
    const answers = { ...decoded.right.answers };
    const provided: string[] = [];
    for (const key of decoded.right.pending) {
      const answer = responses[key];
      if (isObject(answer)) {
        answers[key] = answer;
        provided.push(key);
      }
    }
    return E.right({
      method,
      paramsDigest,
      continuation: { ...decoded.right, answers, pending: [] },
      number: verified.right.round + 1,
      provided,
      verified: verified.right,
    });
  }

  private roundOf(request: RoundRequest, checked: CheckedRound): Round {
    const { method, paramsDigest, continuation, number, provided } = checked;
    let asked = 0;
    // Every question a run asks without an answer goes into the same input_required result, so a
    // tool that asks several at once (Promise.all) gets them all answered in one round.
    const unanswered: InputRequired[] = [];
    const requestFromClient = async (
      method: ClientRequestMethod,
      requestParams: JsonObject,
      options?: ClientRequestOptions,
    ): Promise<ClientAnswer> => {
      asked++;
      const key = options?.key ?? `input-${asked}`;
      const answer = continuation.answers[key];
      if (answer !== undefined) return { ok: true, result: answer as JsonObject };
      const capability = CAPABILITY_OF[method];
      if (!isObject(request.clientCapabilities) || !isObject(request.clientCapabilities[capability])) {
        if (options?.ifDeclared !== true) throw new MissingClientCapability(capability);
        return {
          ok: false,
          error: {
            code: -32601,
            message: `the client did not declare the ${capability} capability in this request, so ${method} cannot be asked`,
          },
        };
      }
      const question = new InputRequired(key, { method, params: requestParams });
      unanswered.push(question);
      throw question;
    };

    const inputRequired = (first: InputRequired): Record<string, unknown> => {
      const questions = unanswered.length > 0 ? unanswered : [first];
      return {
        resultType: 'input_required',
        inputRequests: Object.fromEntries(questions.map((question) => [question.key, question.request])),
        requestState: signRequestState(this.key, {
          agent: request.agent,
          method,
          paramsDigest,
          correlationId: continuation.call,
          round: number,
          payload: { ...continuation, pending: questions.map((question) => question.key) } satisfies Continuation,
          now: request.now,
        }),
      };
    };
    const pendingKeys = (first: InputRequired): string[] =>
      (unanswered.length > 0 ? unanswered : [first]).map((question) => question.key);

    return { call: continuation.call, number, provided, requestFromClient, inputRequired, pendingKeys };
  }
}
