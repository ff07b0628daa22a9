export { type Classification, classifyMessage, classifyParsed, type IncomingMessage } from './classify-message.js';
export { decodeParams } from './decode-params.js';
export * from './error-codes.js';
export { exceedsNestingDepth, MAX_JSON_NESTING_DEPTH } from './json-nesting.js';
export * from './json-rpc.js';
export * from './mcp-params.js';
export * from './protocol-version.js';
export * from './rpc-errors.js';
