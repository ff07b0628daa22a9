export { type Frame, type FramingOptions, MAX_MESSAGE_BYTES } from './frame.js';
export { frameNdjson } from './frame-ndjson.js';
export { NdjsonFramer } from './ndjson-framer.js';
export {
  BACKPRESSURE_THRESHOLD,
  INPUT_BUFFER_BYTES,
  readStdioFrames,
  type StdioFrameReader,
  type StdioReaderOptions,
} from './stdio-reader.js';
export { StdioTransport } from './stdio-transport.js';
export { createStdioWriter, type StdioWriter } from './stdio-writer.js';
export type { Transport } from './transport.js';
