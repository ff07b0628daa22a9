/**
 * Waiting for a condition that another process or a server brings about. The timeout only keeps a
 * test that can never pass from hanging; no test asserts how fast anything happens.
 */

/** Resolves once `condition()` holds (polled every few milliseconds); rejects after `timeoutMs`, naming `what`. */
export const until = async (condition: () => boolean, what: string, timeoutMs = 10_000): Promise<void> => {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
};
