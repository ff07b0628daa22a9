export { ReservedMetadataKeyError } from './chain-metadata.js';
export { EventStoreDbClosed, type EventStoreDbOptions, openEventStoreDbStore } from './eventstoredb-store.js';
export { AppendOutcomeUnknown, EventStoreUnavailable } from './failover.js';
export { UnsupportedServerError } from './recorded-event.js';
