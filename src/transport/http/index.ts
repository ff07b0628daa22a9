export { type BodyRead, discardRest, readBody } from './read-body.js';
export { SSE_HEADERS, SseWriter } from './sse-writer.js';
