/** From the client's view of a stored event to the port's RecordedEvent, and which events are the server's own. */
import type { ResolvedEvent } from '@eventstore/db-client';
import type { RecordedEvent } from '../event-store.js';
import { UnreadableStoredEvent } from '../sqlite/row-to-event.js';
import { splitChainFields } from './chain-metadata.js';

export type EsdbRecordedEvent = NonNullable<ResolvedEvent['event']>;

/** Servers before 22.10 leave positions out of stream reads, or send 2^64-1 for them. */
const FIRST_UNKNOWN_POSITION = 1n << 63n;

export class UnsupportedServerError extends Error {
  override readonly name = 'UnsupportedServerError';
}

/**
 * Events the server writes itself — settings, statistics, projection links, stream metadata —
 * live in `$`-streams or have `$`-types. They are not APEX events and are never returned.
 */
export const isSystemEvent = (event: { readonly streamId: string; readonly type: string }): boolean =>
  event.streamId.startsWith('$') || event.type.startsWith('$');

export const toRecordedEvent = (event: EsdbRecordedEvent): RecordedEvent => {
  const describeEvent = () => `event ${event.id} (${event.streamId}@${event.revision})`;
  const position = event.position?.commit;
  if (position === undefined || position >= FIRST_UNKNOWN_POSITION) {
    throw new UnsupportedServerError(
      `${describeEvent()} came without its position in the log; APEX needs EventStoreDB 22.10 or later (or KurrentDB).`,
    );
  }
  const where = { position, stream: event.streamId, revision: event.revision };
  if (!event.isJson) {
    throw new UnreadableStoredEvent(position, event.streamId, event.revision, new Error('it is not a JSON event'));
  }
  const { metadata, chain } = splitChainFields(event.metadata, where);
  return {
    id: event.id,
    stream: event.streamId,
    revision: event.revision,
    position,
    type: event.type,
    schemaVersion: chain.schemaVersion,
    data: event.data,
    metadata,
    prevHash: chain.prevHash,
    hash: chain.hash,
  };
};
