/** How a recorded session and its replay are compared: normalised events, request by request, stream by stream. */
import type { RecordedEvent } from '../store/event-store.js';
import { streamName } from '../store/stream-name.js';
import { diffJson } from './json-diff.js';

/**
 * Not recorded, or recorded differently each run: event ids, positions, revisions and hashes (the
 * envelope is left out), timestamps, durations, reservation ids and the server process (`instance`).
 * Session ids are replaced.
 */
const IGNORED_KEYS = new Set(['timestamp', 'durationMs', 'ageMs', 'reservationId', 'instance']);

export interface Comparable {
  /** The request it belongs to (its key in correlation ids), or 'session'. */
  readonly group: string;
  /** 'session' for the session's own stream, else the stream name. */
  readonly stream: string;
  readonly type: string;
  readonly body: unknown;
}

const scrub = (value: unknown, sessionId: string): unknown => {
  if (typeof value === 'string') return value.replaceAll(sessionId, '<session>');
  if (Array.isArray(value)) return value.map((item) => scrub(item, sessionId));
  if (typeof value !== 'object' || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([key]) => !IGNORED_KEYS.has(key))
      .map(([key, item]) => [key, scrub(item, sessionId)]),
  );
};

export const comparable = (event: RecordedEvent, sessionId: string): Comparable => {
  const correlationId = event.metadata.correlationId;
  const prefix = `${sessionId}:`;
  return {
    group:
      typeof correlationId === 'string' && correlationId.startsWith(prefix)
        ? correlationId.slice(prefix.length)
        : 'session',
    stream: event.stream === streamName.session(sessionId) ? 'session' : event.stream,
    type: event.type,
    body: { data: scrub(event.data, sessionId), metadata: scrub(event.metadata, sessionId) },
  };
};

export type EventDifference =
  | {
      readonly kind: 'changed';
      readonly group: string;
      readonly stream: string;
      readonly type: string;
      readonly fields: readonly { readonly path: string; readonly recorded: unknown; readonly replayed: unknown }[];
    }
  | {
      readonly kind: 'recorded_only' | 'replayed_only';
      readonly group: string;
      readonly stream: string;
      readonly type: string;
      readonly body: unknown;
    };

/** Longest common subsequence of (stream, type), so one extra or missing event does not shift every later pair. */
const align = (
  recorded: readonly Comparable[],
  replayed: readonly Comparable[],
): [number | undefined, number | undefined][] => {
  const key = (event: Comparable) => `${event.stream} ${event.type}`;
  const lengths = Array.from({ length: recorded.length + 1 }, () => new Array<number>(replayed.length + 1).fill(0));
  for (let i = recorded.length - 1; i >= 0; i--) {
    for (let j = replayed.length - 1; j >= 0; j--) {
      lengths[i]![j] =
        key(recorded[i]!) === key(replayed[j]!)
          ? lengths[i + 1]![j + 1]! + 1
          : Math.max(lengths[i + 1]![j]!, lengths[i]![j + 1]!);
    }
  }
  const pairs: [number | undefined, number | undefined][] = [];
  let i = 0;
  let j = 0;
  while (i < recorded.length || j < replayed.length) {
    if (i < recorded.length && j < replayed.length && key(recorded[i]!) === key(replayed[j]!)) pairs.push([i++, j++]);
    else if (j >= replayed.length || (i < recorded.length && lengths[i + 1]![j]! >= lengths[i]![j + 1]!))
      pairs.push([i++, undefined]);
    else pairs.push([undefined, j++]);
  }
  return pairs;
};

/**
 * Events by request, then by stream: within one stream the order is the decider's, but across
 * streams it is a race (a tool call's reservation and its session record are written concurrently).
 */
const groupBy = (events: readonly Comparable[]): Map<string, Comparable[]> => {
  const groups = new Map<string, Comparable[]>();
  for (const event of events) {
    const key = `${event.group}\u0000${event.stream}`;
    const group = groups.get(key) ?? [];
    group.push(event);
    groups.set(key, group);
  }
  return groups;
};

/** Requests in recorded order; within one, the session's stream first, then the others by name. */
const orderOf = (keys: readonly string[]): string[] => {
  const requests = [...new Set(keys.map((key) => key.split('\u0000')[0]!))];
  const streamRank = (stream: string) => (stream === 'session' ? '' : stream);
  return [...keys].sort((a, b) => {
    const [requestA = '', streamA = ''] = a.split('\u0000');
    const [requestB = '', streamB = ''] = b.split('\u0000');
    const byRequest = requests.indexOf(requestA) - requests.indexOf(requestB);
    if (byRequest !== 0) return byRequest;
    return streamRank(streamA) < streamRank(streamB) ? -1 : streamRank(streamA) > streamRank(streamB) ? 1 : 0;
  });
};

/** Differences request by request (in the recorded order of the requests), stream by stream. */
export const diffSessions = (recorded: readonly Comparable[], replayed: readonly Comparable[]): EventDifference[] => {
  const recordedGroups = groupBy(recorded);
  const replayedGroups = groupBy(replayed);
  const keys = orderOf([...new Set([...recordedGroups.keys(), ...replayedGroups.keys()])]);
  return keys.flatMap((key) => {
    const left = recordedGroups.get(key) ?? [];
    const right = replayedGroups.get(key) ?? [];
    const group = (left[0] ?? right[0])!.group;
    return align(left, right).flatMap(([i, j]): EventDifference[] => {
      const a = i === undefined ? undefined : left[i]!;
      const b = j === undefined ? undefined : right[j]!;
      if (a !== undefined && b !== undefined) {
        const fields = diffJson(a.body, b.body).map((difference) => ({
          path: difference.path,
          recorded: difference.left,
          replayed: difference.right,
        }));
        return fields.length === 0 ? [] : [{ kind: 'changed', group, stream: a.stream, type: a.type, fields }];
      }
      const only = (a ?? b)!;
      const kind = a !== undefined ? 'recorded_only' : 'replayed_only';
      return [{ kind, group, stream: only.stream, type: only.type, body: only.body }];
    });
  });
};
