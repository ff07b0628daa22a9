import * as E from 'fp-ts/lib/Either.js';
import { type AccessCommand, accessDecider } from '../../domain/access/decider.js';
import type { AccessEvent } from '../../domain/access/events.js';
import { encodeEvent } from '../../domain/events.js';
import type { EventMetadata, EventStore } from '../../store/event-store.js';
import { streamName } from '../../store/stream-name.js';

/** Refusals no agent can be named for (no token, an unknown one, a foreign Origin). */
export const UNIDENTIFIED_ACCESS_STREAM = 'access';

export const ACCESS_STREAM_PREFIX = 'access-';

/**
 * `access-<agent id>`: an agent's tokens and the refusals made in its name. The id is validated
 * the way every stream id is (streamName), so no request data reaches a stream name unchecked.
 */
export const accessStreamOf = (agent: string | undefined): string => {
  if (agent === undefined) return UNIDENTIFIED_ACCESS_STREAM;
  return streamName.access(agent);
};

const agentOf = (command: AccessCommand): string | undefined => command.data.agent;

/**
 * Records access events. They are facts with no invariant between them, so they are appended
 * at expected revision `any` without loading the stream: a flood of refused requests must not
 * make the server read an ever longer stream, and the store's group commit batches the appends.
 */
export class AccessLog {
  constructor(private readonly store: EventStore) {}

  /** Resolves once the events are durable. */
  async record(
    command: AccessCommand,
    metadata: Omit<EventMetadata, 'timestamp'> = {},
  ): Promise<readonly AccessEvent[]> {
    const decided = accessDecider.decide(command, accessDecider.initialState());
    // The access decider records every fact; a refusal here is a bug.
    if (E.isLeft(decided)) throw new Error(`access log refused ${command.type}: ${decided.left.message}`);
    const agent = agentOf(command);
    const timestamp = new Date().toISOString();
    const events = decided.right.map((event) => ({
      ...encodeEvent(event),
      metadata: { ...(agent === undefined ? {} : { agent }), ...metadata, timestamp },
    }));
    await this.store.append(accessStreamOf(agent), 'any', events);
    return decided.right;
  }
}
