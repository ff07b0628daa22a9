import { randomUUID } from 'node:crypto';
import { hostname } from 'node:os';
import type { Instance } from '../domain/session/events.js';

export type { Instance } from '../domain/session/events.js';

/** This server process, as recorded on the sessions it starts or adopts. */
export const THIS_INSTANCE: Instance = { id: randomUUID(), pid: process.pid, host: hostname() };

const processIsAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists, under another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
};

/**
 * Whether the process that ran a session is known to have stopped, so that another may end what
 * it left unfinished. Only a process on this host can be checked; one elsewhere (a cluster of
 * instances on EventStoreDB) is presumed alive, so its sessions are never taken from under it. A
 * session recorded without an instance predates them and is treated as stopped.
 */
export const instanceHasStopped = (instance: Instance | undefined, self: Instance = THIS_INSTANCE): boolean => {
  if (instance === undefined) return true;
  if (instance.id === self.id) return false;
  if (instance.host !== self.host) return false;
  return instance.pid === self.pid || !processIsAlive(instance.pid);
};
