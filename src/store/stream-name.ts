/**
 * Stream names are built only here, from validated ids: no user input reaches a stream name
 * unchecked, and nothing can forge a system stream (`$…`) or another agent's stream.
 */
const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.@-]{0,127}$/;
const STREAM_PATTERN = /^[a-z][a-z0-9]*(-[A-Za-z0-9][A-Za-z0-9_.@-]{0,127})?$/;

export class InvalidStreamName extends Error {
  override readonly name = 'InvalidStreamName';
}

export const isValidId = (id: string): boolean => ID_PATTERN.test(id);

export const isValidStreamName = (stream: string): boolean => stream.length <= 160 && STREAM_PATTERN.test(stream);

const withId = (category: string, id: string): string => {
  if (!isValidId(id)) throw new InvalidStreamName(`invalid id for ${category} stream: ${JSON.stringify(id)}`);
  return `${category}-${id}`;
};

export const streamName = {
  agent: (agentId: string) => withId('agent', agentId),
  session: (sessionId: string) => withId('session', sessionId),
  security: (agentId: string) => withId('security', agentId),
  memory: (agentId: string) => withId('memory', agentId),
  task: (taskId: string) => withId('task', taskId),
  /** An agent's tokens and the HTTP refusals made in its name. */
  access: (agentId: string) => withId('access', agentId),
  /** The one use of one issued multi round-trip state. */
  requestState: (nonce: string) => withId('requeststate', nonce),
  systemBank: 'system-bank',
} as const;

/** The category (prefix before the first '-') of a stream name. */
export const streamCategory = (stream: string): string => {
  const dash = stream.indexOf('-');
  return dash === -1 ? stream : stream.slice(0, dash);
};
