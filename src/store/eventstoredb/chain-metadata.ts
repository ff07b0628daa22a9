/**
 * EventStoreDB has no columns for schema version or hash chain, so they travel in each event's
 * JSON metadata beside APEX's own metadata. Splitting them off again on read must give back
 * exactly the object that was hashed, which holds because JSON.parse/JSON.stringify round-trip
 * the keys in the same order (the chain fields are appended last and removed by name).
 */
import { isLeft } from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';
import type { EventMetadata } from '../event-store.js';
import { UnreadableStoredEvent } from '../sqlite/row-to-event.js';

/** The keys the adapter adds to APEX's metadata; APEX's own metadata must not use them. */
export const CHAIN_FIELDS = ['schemaVersion', 'prevHash', 'hash'] as const;

export interface ChainFields {
  readonly schemaVersion: number;
  readonly prevHash: string;
  readonly hash: string;
}

interface Sha256HexBrand {
  readonly Sha256Hex: unique symbol;
}
const Sha256Hex = t.brand(
  t.string,
  (s): s is t.Branded<string, Sha256HexBrand> => /^[0-9a-f]{64}$/.test(s),
  'Sha256Hex',
);

interface SchemaVersionBrand {
  readonly SchemaVersion: unique symbol;
}
const SchemaVersion = t.brand(
  t.number,
  (n): n is t.Branded<number, SchemaVersionBrand> => Number.isSafeInteger(n) && n >= 0,
  'SchemaVersion',
);

/** The metadata of an event APEX wrote to EventStoreDB, as read back. */
const StoredMetadata = t.intersection([
  t.UnknownRecord,
  t.type({ timestamp: t.string, schemaVersion: SchemaVersion, prevHash: Sha256Hex, hash: Sha256Hex }),
]);

export class ReservedMetadataKeyError extends Error {
  override readonly name = 'ReservedMetadataKeyError';
}

export const withChainFields = (metadata: EventMetadata, chain: ChainFields): Record<string, unknown> => {
  const clash = CHAIN_FIELDS.find((field) => Object.hasOwn(metadata, field));
  if (clash !== undefined) {
    throw new ReservedMetadataKeyError(`event metadata must not carry "${clash}": the EventStoreDB adapter stores it`);
  }
  return { ...metadata, schemaVersion: chain.schemaVersion, prevHash: chain.prevHash, hash: chain.hash };
};

export interface StoredEventLocation {
  readonly position: bigint;
  readonly stream: string;
  readonly revision: bigint;
}

/**
 * Splits what APEX wrote back into its metadata and chain fields. Metadata without them means the
 * event was not written by APEX or was altered: UnreadableStoredEvent, which `verifyChain` reports.
 */
export const splitChainFields = (
  stored: unknown,
  where: StoredEventLocation,
): { readonly metadata: EventMetadata; readonly chain: ChainFields } => {
  const decoded = StoredMetadata.decode(stored);
  if (isLeft(decoded)) {
    throw new UnreadableStoredEvent(
      where.position,
      where.stream,
      where.revision,
      new Error('its metadata lacks the APEX chain fields (timestamp, schemaVersion, prevHash, hash)'),
    );
  }
  // Destructure the parsed object itself, not a decoder's copy: key order is part of the hash.
  const { schemaVersion, prevHash, hash, ...metadata } = stored as t.TypeOf<typeof StoredMetadata>;
  return { metadata: metadata as EventMetadata, chain: { schemaVersion, prevHash, hash } };
};
