import { closeSync, fdatasync, openSync } from 'node:fs';

/**
 * Makes committed WAL frames durable without blocking the event loop.
 *
 * better-sqlite3 runs COMMIT on the main thread; with synchronous=FULL the fsync inside it stalls
 * every request for the disk's latency. Instead the store commits with synchronous=NORMAL and asks
 * this for an fdatasync of the WAL file on libuv's thread pool, acknowledging a commit's appends only
 * once a sync that *started after* that commit has finished — what FULL guarantees, off the main
 * thread. Requests arriving while a sync runs share the next one, so a burst costs two syncs at most.
 */
export class WalSync {
  private fd: number | undefined;
  private running: Promise<void> | undefined;
  private next: Promise<void> | undefined;

  /** `datasync` replaces the fdatasync of the WAL file (tests observe the coalescing with it). */
  constructor(
    private readonly walPath: string,
    private readonly datasync?: () => Promise<void>,
  ) {}

  /** Resolves once everything committed before this call is on stable storage. */
  sync(): Promise<void> {
    if (this.running === undefined) {
      this.running = this.fdatasync().finally(() => {
        this.running = undefined;
      });
      return this.running;
    }
    // A sync is under way, but it may have started before our commit: wait for the one after it.
    this.next ??= this.running.then(
      () => this.startQueued(),
      () => this.startQueued(),
    );
    return this.next;
  }

  private startQueued(): Promise<void> {
    this.next = undefined;
    return this.sync();
  }

  private fdatasync(): Promise<void> {
    if (this.datasync !== undefined) return this.datasync();
    // Opened on first use: the WAL file exists once a first commit has been written.
    this.fd ??= openSync(this.walPath, 'r');
    const fd = this.fd;
    return new Promise((resolve, reject) => fdatasync(fd, (error) => (error ? reject(error) : resolve())));
  }

  /** Waits for syncs under way, then closes the file. */
  async close(): Promise<void> {
    await Promise.allSettled([this.running, this.next]);
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}
