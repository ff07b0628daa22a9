import * as E from 'fp-ts/lib/Either.js';
import { type SessionState, sessionDecider } from '../domain/session/decider.js';
import type { SessionEvent } from '../domain/session/events.js';
import { taskDecider } from '../domain/task/decider.js';
import type { TaskEvent } from '../domain/task/events.js';
import type { EventStore } from '../store/event-store.js';
import { streamName } from '../store/stream-name.js';
import type { AgentAccounts } from './agent-accounts.js';
import { Aggregate } from './aggregate.js';
import { McpConnection } from './connection.js';
import { domainEventCodec } from './event-codec.js';
import { HttpSession } from './http/http-session.js';
import { type Instance, instanceHasStopped } from './instance.js';
import { correlationIdOf } from './outcome.js';
import type { ServerContext } from './server-context.js';

const SESSION_STREAM_PREFIX = 'session-';
const TASK_STREAM_PREFIX = 'task-';
const taskCodec = domainEventCodec<TaskEvent>();

/** Why a task left working by a stopped process is failed at start-up. */
export const TASK_STOPPED_REASON = 'the server process running the task stopped before it finished';

const sessionCodec = domainEventCodec<SessionEvent>();

/** Why money set aside for a request that a stopped process left unfinished goes back. */
export const CUT_OFF_RELEASE_REASON = 'request cut off: the server process running it stopped';

/** A session's state as its log tells it, without opening it; undefined when the log has no such session. */
export const recordedSession = async (store: EventStore, sessionId: string): Promise<SessionState | undefined> => {
  let state: SessionState = sessionDecider.initialState();
  for await (const recorded of store.readStream(streamName.session(sessionId))) {
    state = sessionDecider.evolve(state, sessionCodec.decode(recorded));
  }
  return state.status === 'not_started' ? undefined : state;
};

/**
 * Releases what `agent` still has reserved for requests that were cut off (identified by their
 * correlation ids): the tool never reported, so nothing is charged; the reservation's release
 * is the ledger's record that the money is free again.
 */
export const releaseCutOffReservations = async (
  accounts: AgentAccounts,
  agent: string,
  correlationIds: readonly string[],
  timestamp = new Date().toISOString(),
): Promise<number> => {
  if (correlationIds.length === 0) return 0;
  const wanted = new Set(correlationIds);
  const account = await accounts.get(agent);
  let released = 0;
  for (const [reservationId, reservation] of [...account.state.reservations]) {
    if (!wanted.has(reservation.correlationId)) continue;
    const outcome = await account.execute(
      { type: 'ReleaseReservation', data: { reservationId, reason: CUT_OFF_RELEASE_REASON } },
      { agent, correlationId: reservation.correlationId, timestamp },
    );
    if (E.isRight(outcome)) released++;
  }
  return released;
};

interface SessionSummary {
  readonly sessionId: string;
  readonly transport: string;
  readonly agent: string;
  instance: Instance | undefined;
}

interface TaskSummary {
  readonly taskId: string;
  readonly agent: string;
  readonly correlationId: string;
  readonly instance: Instance | undefined;
}

const TASK_ENDINGS = new Set(['TaskCompleted', 'TaskFailed', 'TaskCancelled']);

/** Open sessions and unfinished tasks whose process has stopped, found in one pass over the log. */
export const findStopped = async (
  store: EventStore,
  self: Instance,
): Promise<{ sessions: SessionSummary[]; tasks: TaskSummary[] }> => {
  const sessions = new Map<string, SessionSummary>();
  const tasks = new Map<string, TaskSummary>();
  for await (const event of store.readAll()) {
    if (event.stream.startsWith(TASK_STREAM_PREFIX)) {
      if (event.type === 'TaskCreated') {
        const data = event.data as { taskId: string; agent: string; correlationId: string; instance?: Instance };
        tasks.set(event.stream, {
          taskId: data.taskId,
          agent: data.agent,
          correlationId: data.correlationId,
          instance: data.instance,
        });
      } else if (TASK_ENDINGS.has(event.type)) tasks.delete(event.stream);
      continue;
    }
    if (!event.stream.startsWith(SESSION_STREAM_PREFIX)) continue;
    const data = event.data as { transport?: string; agent?: string; instance?: Instance };
    if (event.type === 'SessionStarted') {
      sessions.set(event.stream, {
        sessionId: event.stream.slice(SESSION_STREAM_PREFIX.length),
        transport: data.transport ?? '',
        agent: data.agent ?? '',
        instance: data.instance,
      });
      continue;
    }
    const session = sessions.get(event.stream);
    if (session === undefined) continue;
    if (event.type === 'SessionAdopted') session.instance = data.instance;
    else if (event.type === 'SessionEnded') sessions.delete(event.stream);
  }
  const stopped = (instance: Instance | undefined) => instance?.id !== self.id && instanceHasStopped(instance, self);
  return {
    sessions: [...sessions.values()].filter((session) => stopped(session.instance)),
    tasks: [...tasks.values()].filter((task) => stopped(task.instance)),
  };
};

export const STOPPED_PROCESS_REASON = 'the server process running the session stopped';

/**
 * At start-up: ends what stopped processes left unfinished, from the log. Each task they left
 * running is failed with the reason and its reservation released. Each request they left
 * open is recorded as cut off and its reservation released; a stdio session is then ended (its
 * client went with its process); an HTTP session stays open for its client to resume (see
 * HttpSession.adopt, which this uses). Sessions of live processes, and of processes on other
 * hosts, are left alone. Returns how many sessions were recovered.
 */
export const recoverStoppedSessions = async (
  context: ServerContext,
  /**
   * How this process takes over an HTTP session: when it serves HTTP, through its endpoint, so a
   * client coming back at the same moment shares the one take-over (never two); otherwise alone.
   */
  adoptHttpSession?: (sessionId: string, agent: string) => Promise<unknown>,
): Promise<number> => {
  let recovered = 0;
  const stopped = await findStopped(context.store, context.instance);
  for (const task of stopped.tasks) {
    try {
      const aggregate = await Aggregate.load(context.store, streamName.task(task.taskId), taskDecider, taskCodec);
      const at = new Date().toISOString();
      await aggregate.execute(
        { type: 'RecoverTask', data: { reason: TASK_STOPPED_REASON, at } },
        { agent: task.agent, correlationId: task.correlationId, timestamp: at },
      );
      await releaseCutOffReservations(context.accounts, task.agent, [task.correlationId]);
      recovered++;
    } catch (error) {
      context.logger.warn({ err: error, task: task.taskId }, 'could not recover a stopped task');
    }
  }
  for (const session of stopped.sessions) {
    try {
      const release = (correlationIds: readonly string[]) =>
        releaseCutOffReservations(context.accounts, session.agent, correlationIds).then(() => undefined);
      if (session.transport === 'http' && adoptHttpSession !== undefined) {
        await adoptHttpSession(session.sessionId, session.agent);
      } else if (session.transport === 'http') {
        const adopted = await HttpSession.adopt(context, session.sessionId, session.agent, 60_000, release);
        adopted.forget();
      } else {
        const connection = await McpConnection.open(context, {
          transport: 'stdio',
          agent: session.agent,
          sessionId: session.sessionId,
          send: () => undefined,
        });
        const cutOff = await connection.adopt(STOPPED_PROCESS_REASON);
        await release(cutOff.map((request) => correlationIdOf(session.sessionId, request.requestId)));
        await connection.close(STOPPED_PROCESS_REASON);
      }
      recovered++;
    } catch (error) {
      // Another process may be recovering it at the same moment: its events win; nothing is lost.
      context.logger.warn({ err: error, session: session.sessionId }, 'could not recover a stopped session');
    }
  }
  return recovered;
};

/**
 * Runs the start-up recovery beside serving: a large log takes a while to scan, and nothing waits
 * for it but shutdown (which must not close the store under it). Never rejects.
 */
export const recoverInBackground = (
  context: ServerContext,
  adoptHttpSession?: (sessionId: string, agent: string) => Promise<unknown>,
): Promise<void> =>
  recoverStoppedSessions(context, adoptHttpSession).then(
    (recovered) => {
      if (recovered > 0)
        context.logger.info({ sessions: recovered }, 'recovered sessions left open by stopped processes');
    },
    (error: unknown) => context.logger.error({ err: error }, 'start-up recovery failed'),
  );
