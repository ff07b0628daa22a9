import { once } from 'node:events';
import type { Writable } from 'node:stream';

/** Yields to the event loop until `condition` holds (the test timeout bounds the wait). */
export const waitUntil = async (condition: () => boolean): Promise<void> => {
  while (!condition()) await new Promise((resolve) => setImmediate(resolve));
};

/** Lets the event loop run `turns` times, so that any I/O that can happen does happen. */
export const letEventLoopTurn = async (turns = 20): Promise<void> => {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
};

/** Writes chunks the way a well-behaved producer does: waiting for 'drain' when told to. */
export const writeRespectingBackpressure = async (
  output: Writable,
  chunks: Iterable<Buffer | string>,
): Promise<void> => {
  for (const chunk of chunks) {
    if (!output.write(chunk)) await once(output, 'drain');
  }
};
