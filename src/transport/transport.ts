import type { Observable } from 'rxjs';
import type { Frame } from './frame.js';

/**
 * A bidirectional message channel in the spirit of the MCP SDK's Transport: it moves framed text
 * in and JSON messages out, and knows nothing of JSON-RPC methods or MCP.
 */
export interface Transport {
  /** Inbound frames in arrival order. Subscribe before `start()`; completes when the peer closes its end. */
  readonly inbound$: Observable<Frame>;
  /** Begins reading. Call once. */
  start(): void;
  /** The consumer is done with `frame`; frees its share of the input buffer (see StdioFrameReader). */
  release(frame: Frame): void;
  /** Queues one message; resolves once it has been written out, rejects if the output failed or was closed. */
  send(message: unknown): Promise<void>;
  /** Stops reading, writes what is queued, closes the output. */
  close(): Promise<void>;
}
