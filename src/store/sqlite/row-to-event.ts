import type { EventMetadata, RecordedEvent } from '../event-store.js';
import type { EventRow } from './statements.js';

/**
 * A stored event the engine cannot decode (damaged or tampered-with JSON, or not written by APEX).
 * Every adapter throws this one class, so `verifyChain` reports the event rather than crashing.
 */
export class UnreadableStoredEvent extends Error {
  override readonly name = 'UnreadableStoredEvent';
  constructor(
    readonly position: bigint,
    readonly stream: string,
    readonly revision: bigint,
    cause: unknown,
  ) {
    super(
      `stored event at position ${position} (${stream} revision ${revision}) cannot be read: ${(cause as Error)?.message ?? String(cause)}`,
      { cause },
    );
  }
}

export const rowToEvent = (row: EventRow): RecordedEvent => {
  let data: unknown;
  let metadata: EventMetadata;
  try {
    data = JSON.parse(row.data);
    metadata = JSON.parse(row.metadata) as EventMetadata;
  } catch (error) {
    throw new UnreadableStoredEvent(row.position, row.stream, row.revision, error);
  }
  return {
    id: row.id,
    stream: row.stream,
    revision: row.revision,
    position: row.position,
    type: row.type,
    schemaVersion: Number(row.schema_version),
    data,
    metadata,
    prevHash: row.prev_hash,
    hash: row.hash,
  };
};
