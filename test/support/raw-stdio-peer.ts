import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cliArgs, REPO_ROOT } from './apex-process.js';

/** A JSON-RPC error object as it came off the wire. */
export interface WireError {
  readonly code: number;
  readonly message: string;
  readonly data?: unknown;
}

/** One line the server wrote to stdout, parsed. */
export interface WireMessage {
  readonly jsonrpc?: unknown;
  readonly id?: unknown;
  readonly method?: unknown;
  readonly params?: unknown;
  readonly result?: unknown;
  readonly error?: WireError;
}

export type RequestId = string | number;

interface Waiter {
  readonly resolve: (message: WireMessage) => void;
  readonly reject: (error: Error) => void;
}

const RESPONSE_TIMEOUT_MS = 30_000;

/**
 * Talks raw NDJSON to `apex serve` running as a child process over real pipes: writes whatever
 * bytes a test chooses (honouring stdin backpressure), and reads stdout line by line. Responses
 * are queued per id and taken in arrival order, so one id answered twice (a duplicate id) is
 * seen twice; errors with `id: null` are collected apart; every raw stdout line is kept, so a
 * test can check that nothing but JSON-RPC ever went to stdout.
 */
export class RawStdioPeer {
  readonly child: ChildProcessWithoutNullStreams;
  /** Every complete stdout line, as written. */
  readonly stdoutLines: string[] = [];
  /** Every parsed stdout message, in arrival order. */
  readonly messages: WireMessage[] = [];
  /** Error responses with `id: null`, in arrival order (cleared by takeNullIdErrors). */
  private nullIdErrors: WireError[] = [];
  private readonly queued = new Map<string, WireMessage[]>();
  private readonly waiters = new Map<string, Waiter[]>();
  private stdoutTail = '';
  private stderrText = '';
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private exitedAlready = false;

  private constructor(child: ChildProcessWithoutNullStreams) {
    this.child = child;
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (chunk: string) => {
      this.stderrText += chunk;
    });
    // The server may stop reading (it exits, or we end stdin); a write error then is no test failure by itself.
    child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.exitedAlready = true;
        for (const [key, waiters] of this.waiters) {
          for (const waiter of waiters)
            waiter.reject(new Error(`server exited (${code ?? signal}) before answering id ${key}`));
        }
        this.waiters.clear();
        resolve({ code, signal });
      });
    });
  }

  /** Starts `apex serve` for `agent` on a SQLite store. */
  static start(options: { config: string; store: string; agent: string }): RawStdioPeer {
    const child = spawn(
      process.execPath,
      cliArgs('serve', '--config', options.config, '--agent', options.agent, '--store', `sqlite:${options.store}`),
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, APEX_LOG_LEVEL: 'warn' } },
    );
    return new RawStdioPeer(child);
  }

  get pid(): number {
    if (this.child.pid === undefined) throw new Error('the server process did not start');
    return this.child.pid;
  }

  get stderr(): string {
    return this.stderrText;
  }

  /** Text written to stdout after the last newline (a well-behaved server leaves none). */
  get unterminatedStdout(): string {
    return this.stdoutTail;
  }

  /** Writes raw bytes, waiting for 'drain' when the pipe is full. */
  async write(data: string | Buffer): Promise<void> {
    if (this.child.stdin.write(data)) return;
    await new Promise<void>((resolve, reject) => {
      const onDrain = () => {
        this.child.stdin.off('close', onClose);
        resolve();
      };
      const onClose = () => {
        this.child.stdin.off('drain', onDrain);
        reject(new Error('stdin closed while waiting for drain'));
      };
      this.child.stdin.once('drain', onDrain);
      this.child.stdin.once('close', onClose);
    });
  }

  /** Writes one message as one line. */
  send(message: unknown): Promise<void> {
    return this.write(`${JSON.stringify(message)}\n`);
  }

  /** Sends a request and waits for the next response carrying its id. */
  async request(id: RequestId, method: string, params?: unknown): Promise<WireMessage> {
    const response = this.nextResponse(id);
    await this.send({ jsonrpc: '2.0', id, method, ...(params === undefined ? {} : { params }) });
    return response;
  }

  /** The next response with this id not yet taken (already received, or still to come). */
  nextResponse(id: RequestId): Promise<WireMessage> {
    const key = JSON.stringify(id);
    const queued = this.queued.get(key);
    if (queued !== undefined && queued.length > 0) return Promise.resolve(queued.shift()!);
    if (this.exitedAlready) return Promise.reject(new Error(`server exited before answering id ${key}`));
    return new Promise<WireMessage>((resolve, reject) => {
      const timer = setTimeout(() => {
        const list = this.waiters.get(key) ?? [];
        this.waiters.set(
          key,
          list.filter((waiter) => waiter !== entry),
        );
        reject(
          new Error(
            `no response with id ${key} within ${RESPONSE_TIMEOUT_MS} ms; stderr: ${this.stderrText.slice(-2000)}`,
          ),
        );
      }, RESPONSE_TIMEOUT_MS);
      const entry: Waiter = {
        resolve: (message) => {
          clearTimeout(timer);
          resolve(message);
        },
        reject: (error) => {
          clearTimeout(timer);
          reject(error);
        },
      };
      const list = this.waiters.get(key) ?? [];
      list.push(entry);
      this.waiters.set(key, list);
    });
  }

  /** Returns the `id: null` errors received so far and forgets them. */
  takeNullIdErrors(): WireError[] {
    const taken = this.nullIdErrors;
    this.nullIdErrors = [];
    return taken;
  }

  /** The legacy handshake: initialize, then notifications/initialized. */
  async initialize(id: RequestId = 'init'): Promise<WireMessage> {
    const response = await this.request(id, 'initialize', {
      protocolVersion: '2025-06-18',
      capabilities: {},
      clientInfo: { name: 'raw-stdio-peer', version: '1.0.0' },
    });
    await this.send({ jsonrpc: '2.0', method: 'notifications/initialized' });
    return response;
  }

  /** The child's peak resident set size (VmHWM), in bytes. */
  peakResidentBytes(): number {
    const status = readFileSync(`/proc/${this.pid}/status`, 'utf8');
    const match = /^VmHWM:\s+(\d+)\s+kB$/m.exec(status);
    if (match === null) throw new Error('no VmHWM in /proc/<pid>/status');
    return Number(match[1]) * 1024;
  }

  /** Ends stdin and waits for the process to exit. */
  async close(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    this.child.stdin.end();
    return this.exited;
  }

  /** Kills the process if it is still running (cleanup after a failed test). */
  kill(): void {
    if (!this.exitedAlready) this.child.kill('SIGKILL');
  }

  private onStdout(chunk: string): void {
    const text = this.stdoutTail + chunk;
    const lines = text.split('\n');
    this.stdoutTail = lines.pop()!;
    for (const line of lines) this.onLine(line);
  }

  private onLine(line: string): void {
    this.stdoutLines.push(line);
    let message: WireMessage;
    try {
      message = JSON.parse(line) as WireMessage;
    } catch {
      return; // Kept in stdoutLines; the test reports it.
    }
    if (typeof message !== 'object' || message === null) return;
    this.messages.push(message);
    if (message.method !== undefined) return; // A notification from the server.
    if (message.id === null) {
      if (message.error !== undefined) this.nullIdErrors.push(message.error);
      return;
    }
    const key = JSON.stringify(message.id);
    const waiter = this.waiters.get(key)?.shift();
    if (waiter !== undefined) {
      waiter.resolve(message);
      return;
    }
    const queued = this.queued.get(key) ?? [];
    queued.push(message);
    this.queued.set(key, queued);
  }
}
