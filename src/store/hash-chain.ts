import { createHash } from 'node:crypto';
import type { EventMetadata } from './event-store.js';

/** The fields an event's hash covers, with data and metadata already serialized. */
export interface HashInput {
  readonly prevHash: string;
  readonly stream: string;
  readonly revision: bigint;
  readonly type: string;
  readonly schemaVersion: number;
  /** JSON.stringify(data): stable across parse/stringify round trips, so any engine can re-derive it. */
  readonly dataJson: string;
  /** JSON.stringify(metadata), without the chain fields. */
  readonly metadataJson: string;
}

/**
 * SHA-256 over the event's fields separated by newlines. Stream and type names cannot contain
 * a newline (validated) and JSON.stringify never emits a raw one, so the encoding is unambiguous.
 */
export const eventHash = (input: HashInput): string =>
  createHash('sha256')
    .update(input.prevHash)
    .update('\n')
    .update(input.stream)
    .update('\n')
    .update(input.revision.toString())
    .update('\n')
    .update(input.type)
    .update('\n')
    .update(String(input.schemaVersion))
    .update('\n')
    .update(input.dataJson)
    .update('\n')
    .update(input.metadataJson)
    .digest('hex');

/** Serializes metadata the same way at write and at verify time. */
export const serializeMetadata = (metadata: EventMetadata): string => JSON.stringify(metadata);
