import { createHash, hash as oneShotHash } from 'node:crypto';
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

/** The hashed text: the fields separated by newlines. */
const hashedText = (input: HashInput): string =>
  `${input.prevHash}\n${input.stream}\n${input.revision}\n${input.type}\n${input.schemaVersion}\n${input.dataJson}\n${input.metadataJson}`;

/**
 * One-shot SHA-256 (`crypto.hash`, Node ≥ 20.12) costs a quarter of a Hash object's; older Node 20
 * releases get the same digest through createHash.
 */
const sha256Hex: (text: string) => string =
  typeof oneShotHash === 'function'
    ? (text) => oneShotHash('sha256', text, 'hex')
    : (text) => createHash('sha256').update(text).digest('hex');

/**
 * SHA-256 over the event's fields separated by newlines (UTF-8). Stream and type names cannot
 * contain a newline (validated) and JSON.stringify never emits a raw one, so the encoding is
 * unambiguous.
 */
export const eventHash = (input: HashInput): string => sha256Hex(hashedText(input));

/** Serializes metadata the same way at write and at verify time. */
export const serializeMetadata = (metadata: EventMetadata): string => JSON.stringify(metadata);
