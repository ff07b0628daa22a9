/**
 * What to do with an append, given the stream's head as this process knows it. Pure: the
 * appender fetches heads and talks to the server. The rules follow the SQLite adapter's, so the
 * contract holds on both engines: an append whose caller-given ids are the last events already
 * stored, in order, is a retry and gets the original result whatever it expected; one that
 * reuses some of them otherwise is refused; else the expectation decides.
 */
import type { AppendResult, ExpectedRevision } from '../event-store.js';
import type { PreparedEvent } from '../sqlite/validate-append.js';
import type { KnownHead, StreamHead } from './stream-heads.js';

export type AppendDecision =
  /** Link the events after `base` and write them expecting exactly `base`. */
  | { readonly kind: 'extend_head'; readonly base: KnownHead }
  /**
   * The stream is past what the caller expects, and every id was given by the caller: only the
   * server can tell a retry of events stored deeper than the remembered tail from a conflict,
   * so the append is sent with the caller's expectation (it cannot be written as new).
   */
  | { readonly kind: 'ask_server'; readonly expected: bigint | 'no_stream' }
  | { readonly kind: 'replay'; readonly result: AppendResult }
  | { readonly kind: 'conflicting_ids' }
  | { readonly kind: 'wrong_expected_version'; readonly actual: bigint | 'no_stream' }
  /** A retry whose result this process cannot state from memory: read the head again. */
  | { readonly kind: 'unknown_replay_position' };

const replayInTail = (head: StreamHead, events: readonly PreparedEvent[]): AppendDecision | undefined => {
  const tailIndex = new Map(head.tail.map((event, index) => [event.id, index]));
  if (!events.some((event) => event.idGivenByCaller && tailIndex.has(event.id))) return undefined;
  const start = tailIndex.get(events[0]!.id);
  const isExactReplay =
    start !== undefined &&
    events.every((event, offset) => event.idGivenByCaller && head.tail[start + offset]?.id === event.id);
  if (!isExactReplay) return { kind: 'conflicting_ids' };
  const last = head.tail[start + events.length - 1]!;
  if (last.position === undefined) return { kind: 'unknown_replay_position' };
  return { kind: 'replay', result: { nextExpectedRevision: last.revision, position: last.position } };
};

export const decideAppend = (
  expected: ExpectedRevision,
  head: KnownHead,
  events: readonly PreparedEvent[],
): AppendDecision => {
  const replay = head === 'no_stream' ? undefined : replayInTail(head, events);
  if (replay !== undefined) return replay;

  const actual = head === 'no_stream' ? 'no_stream' : head.revision;
  const mayBeRetry = events.every((event) => event.idGivenByCaller);
  switch (expected) {
    case 'any':
      return { kind: 'extend_head', base: head };
    case 'stream_exists':
      return head === 'no_stream' ? { kind: 'wrong_expected_version', actual } : { kind: 'extend_head', base: head };
    case 'no_stream':
      if (head === 'no_stream') return { kind: 'extend_head', base: head };
      return mayBeRetry ? { kind: 'ask_server', expected: 'no_stream' } : { kind: 'wrong_expected_version', actual };
    default:
      if (head === 'no_stream' || head.revision < expected) return { kind: 'wrong_expected_version', actual };
      if (head.revision === expected) return { kind: 'extend_head', base: head };
      return mayBeRetry ? { kind: 'ask_server', expected } : { kind: 'wrong_expected_version', actual };
  }
};
