/**
 * An HTTP server child (ChildServer with unused stdio pipes): a free loopback port to give it,
 * and a stop by signal, since an HTTP server does not end when its stdin closes.
 */
import { createServer } from 'node:net';
import type { ChildServer, Exit } from './child-server.js';

/** A port free on 127.0.0.1 right now (the OS picks it; the child binds it a moment later). */
export const freeLoopbackPort = (): Promise<number> =>
  new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = probe.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      probe.close(() => resolve(port));
    });
  });

/** SIGTERM (both servers then end their sessions and exit 0); SIGKILL if still running after `timeoutMs`. */
export const stopBySignal = async (server: ChildServer, timeoutMs: number): Promise<Exit> => {
  if (server.hasExited) return server.exited;
  server.child.kill('SIGTERM');
  let timer: NodeJS.Timeout | undefined;
  const killed = new Promise<Exit>((resolve) => {
    timer = setTimeout(() => {
      server.child.kill('SIGKILL');
      resolve({ code: null, signal: 'SIGKILL' });
    }, timeoutMs);
  });
  const exit = await Promise.race([server.exited, killed]);
  clearTimeout(timer);
  return exit;
};
