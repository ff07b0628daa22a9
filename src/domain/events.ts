import * as E from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { ACCESS_EVENT_DEFINITIONS, type AccessEvent } from './access/events.js';
import type { EventDefinition } from './event-definition.js';
import { LEDGER_EVENT_DEFINITIONS, type LedgerEvent } from './ledger/events.js';
import { MEMORY_EVENT_DEFINITIONS, type MemoryEvent } from './memory/events.js';
import { REQUEST_STATE_EVENT_DEFINITIONS, type RequestStateEvent } from './request-state/events.js';
import { SECURITY_EVENT_DEFINITIONS, type SecurityEvent } from './security/events.js';
import { SESSION_EVENT_DEFINITIONS, type SessionEvent } from './session/events.js';
import { TASK_EVENT_DEFINITIONS, type TaskEvent } from './task/events.js';

export type { AccessEvent } from './access/events.js';
export type { LedgerEvent } from './ledger/events.js';
export type { MemoryEvent } from './memory/events.js';
export type { RequestStateEvent } from './request-state/events.js';
export type { SecurityEvent } from './security/events.js';
export type { SessionEvent } from './session/events.js';
export type { TaskEvent } from './task/events.js';

/** Every event APEX writes. */
export type DomainEvent =
  | LedgerEvent
  | SessionEvent
  | SecurityEvent
  | MemoryEvent
  | AccessEvent
  | TaskEvent
  | RequestStateEvent;
export type DomainEventType = DomainEvent['type'];

const ALL_DEFINITIONS: readonly EventDefinition[] = [
  ...LEDGER_EVENT_DEFINITIONS,
  ...SESSION_EVENT_DEFINITIONS,
  ...SECURITY_EVENT_DEFINITIONS,
  ...MEMORY_EVENT_DEFINITIONS,
  ...ACCESS_EVENT_DEFINITIONS,
  ...TASK_EVENT_DEFINITIONS,
  ...REQUEST_STATE_EVENT_DEFINITIONS,
];

/** The stored form of an event: current schema version, JSON-ready data (money as decimal strings). */
export interface EncodedEvent {
  readonly type: string;
  readonly schemaVersion: number;
  readonly data: unknown;
}

const failure = (value: unknown, message: string): t.Errors => [{ value, context: [], message }];

/**
 * Builds decode/encode over a set of event definitions. APEX uses one registry (below); tests
 * build others, for instance to exercise an upcaster.
 */
export const createEventRegistry = <Event extends { readonly type: string; readonly data: unknown }>(
  definitions: readonly EventDefinition[],
) => {
  const byType: ReadonlyMap<string, EventDefinition> = new Map(definitions.map((d) => [d.type, d]));

  /**
   * Data as stored (at any schema version up to the current one) → a typed event. Older versions
   * go through the type's upcasters first; unknown types and versions are Left.
   */
  const decodeEvent = (type: string, schemaVersion: number, data: unknown): E.Either<t.Errors, Event> => {
    const definition = byType.get(type);
    if (definition === undefined) return E.left(failure(type, `unknown event type "${type}"`));
    if (!Number.isInteger(schemaVersion) || schemaVersion < 1 || schemaVersion > definition.schemaVersion) {
      return E.left(
        failure(schemaVersion, `"${type}" has schema versions 1 to ${definition.schemaVersion}, not ${schemaVersion}`),
      );
    }
    let current = data;
    for (let version = schemaVersion; version < definition.schemaVersion; version++) {
      const upcast = definition.upcasters[version];
      if (upcast === undefined) {
        return E.left(failure(schemaVersion, `"${type}" has no upcaster from schema version ${version}`));
      }
      current = upcast(current);
    }
    const decoded = definition.codec.decode(current);
    return E.isRight(decoded) ? E.right({ type, data: decoded.right } as Event) : decoded;
  };

  const encodeEvent = (event: Event): EncodedEvent => {
    const definition = byType.get(event.type);
    // Every event type of the registry's union is registered; a miss is a bug.
    if (definition === undefined) throw new Error(`event type "${event.type}" is not registered`);
    return { type: event.type, schemaVersion: definition.schemaVersion, data: definition.codec.encode(event.data) };
  };

  return { definitions: byType, decodeEvent, encodeEvent, isKnownType: (type: string) => byType.has(type) };
};

const apexEvents = createEventRegistry<DomainEvent>(ALL_DEFINITIONS);

/** type → { schemaVersion, codec, upcasters }: the one place that knows every event's shape. */
export const EVENT_REGISTRY: ReadonlyMap<string, EventDefinition> = apexEvents.definitions;

export const isKnownEventType = (type: string): type is DomainEventType => apexEvents.isKnownType(type);

export const decodeEvent: (type: string, schemaVersion: number, data: unknown) => E.Either<t.Errors, DomainEvent> =
  apexEvents.decodeEvent;

export const encodeEvent: (event: DomainEvent) => EncodedEvent = apexEvents.encodeEvent;

/** Readable io-ts errors: "at data.amount: …". */
export const describeDecodeErrors = (errors: t.Errors): string =>
  errors
    .map((error) => {
      const path = error.context
        .map((entry) => entry.key)
        .filter((key) => key !== '')
        .join('.');
      const message = error.message ?? `unexpected value ${JSON.stringify(error.value)}`;
      return path === '' ? message : `at ${path}: ${message}`;
    })
    .join('; ');
