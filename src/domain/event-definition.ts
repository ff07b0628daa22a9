import * as t from 'io-ts';

/** Turns the data of one schema version into the data of the next one. */
export type Upcaster = (data: unknown) => unknown;

/**
 * The part of an io-ts codec the registry uses. Method syntax keeps it bivariant, so a
 * definition of any event fits in a list of `EventDefinition`s.
 */
export interface EventCodec<Data, Encoded> {
  decode(input: unknown): t.Validation<Data>;
  encode(data: Data): Encoded;
}

/**
 * One event type: its name, its current schema version, the io-ts codec of its data and the
 * upcasters that bring older versions' data up to date. Written events are never rewritten;
 * a schema change adds a version and an upcaster instead.
 */
export interface EventDefinition<Type extends string = string, Data = unknown, Encoded = unknown> {
  readonly type: Type;
  readonly schemaVersion: number;
  readonly codec: EventCodec<Data, Encoded>;
  /** upcasters[v] turns data written at version v into data of version v + 1. */
  readonly upcasters: Readonly<Record<number, Upcaster>>;
}

export const defineEvent = <Type extends string, Data, Encoded>(
  type: Type,
  schemaVersion: number,
  codec: t.Type<Data, Encoded, unknown>,
  upcasters: Readonly<Record<number, Upcaster>> = {},
): EventDefinition<Type, Data, Encoded> => ({ type, schemaVersion, codec, upcasters });

/** The event an EventDefinition describes: `{ type, data }`. */
export type EventOf<Definition> =
  Definition extends EventDefinition<infer Type, infer Data, infer _Encoded>
    ? { readonly type: Type; readonly data: Data }
    : never;

/** A JSON-RPC id: a string or a number (1 and "1" are different ids). */
export type RequestId = string | number;

export const RequestIdCodec = new t.Type<RequestId, RequestId, unknown>(
  'RequestId',
  (u): u is RequestId => typeof u === 'string' || (typeof u === 'number' && Number.isFinite(u)),
  (u, context) =>
    typeof u === 'string' || (typeof u === 'number' && Number.isFinite(u))
      ? t.success(u)
      : t.failure(u, context, 'a JSON-RPC id is a string or a finite number'),
  t.identity,
);

/** A duration in milliseconds: finite and not negative (JSON has no NaN or Infinity). */
export const isDurationMs = (u: unknown): u is number => typeof u === 'number' && Number.isFinite(u) && u >= 0;

export const DurationMs = new t.Type<number, number, unknown>(
  'DurationMs',
  isDurationMs,
  (u, context) =>
    isDurationMs(u)
      ? t.success(u)
      : t.failure(u, context, 'a duration is a finite, non-negative number of milliseconds'),
  t.identity,
);

/** A record with required and optional properties. */
export const withOptional = <Required extends t.Props, Optional extends t.Props>(
  required: Required,
  optional: Optional,
  name?: string,
) => t.intersection([t.type(required), t.partial(optional)], name);
