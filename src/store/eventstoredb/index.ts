export { ReservedMetadataKeyError } from './chain-metadata.js';
export { EventStoreDbClosed, openEventStoreDbStore } from './eventstoredb-store.js';
export { UnsupportedServerError } from './recorded-event.js';
