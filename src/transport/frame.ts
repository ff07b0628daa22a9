/**
 * One NDJSON line as the transport hands it on. The transport only frames and decodes bytes;
 * what the text means is the protocol layer's business.
 */
export type Frame =
  /** A complete line, decoded as UTF-8. `bytes` is its size on the wire, without the line terminator. */
  | { readonly kind: 'message'; readonly text: string; readonly bytes: number }
  /** A line longer than the limit; its bytes were discarded as they arrived. `bytes` excludes the `\n`. */
  | { readonly kind: 'oversized'; readonly bytes: number }
  /** A line that is not valid UTF-8. */
  | { readonly kind: 'invalid_utf8' };

/** The largest message the transport accepts (seed §2.1: "512KB max message"). */
export const MAX_MESSAGE_BYTES = 512 * 1024;

export interface FramingOptions {
  /** Lines longer than this (after stripping `\r`) become one `oversized` frame. Default MAX_MESSAGE_BYTES. */
  readonly maxMessageBytes?: number;
}
