/**
 * A server child process spoken to with raw NDJSON JSON-RPC over its stdin/stdout pipes,
 * plus the few /proc readings the load benchmark prints. No MCP client library: at tens of
 * thousands of requests per second the client must stay cheap, or it becomes what is measured.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { removeTempDir } from './temp-dirs.js';

export interface JsonRpcMessage {
  readonly jsonrpc?: string;
  readonly id?: string | number | null;
  readonly method?: string;
  readonly result?: unknown;
  readonly error?: { readonly code: number; readonly message: string };
}

export interface SpawnOptions {
  readonly label: string;
  readonly args: readonly string[];
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
}

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** How a server child ended, for the report: 'ok', 'exit N' or 'killed (SIGNAL)'; a bad end is also told on stderr. */
export const describeExit = (server: ChildServer, exit: Exit): string => {
  const text = exit.code === 0 ? 'ok' : exit.code !== null ? `exit ${exit.code}` : `killed (${exit.signal})`;
  if (exit.code !== 0) process.stderr.write(`${server.failure(`ended with ${text}`).message}\n`);
  return text;
};

/** After a row: kills the child if it still runs, then keeps (saying where) or removes the row's temporary folder. */
export const releaseRow = (server: ChildServer, dir: string, keep: boolean): void => {
  if (!server.hasExited) server.child.kill('SIGKILL');
  if (keep) process.stderr.write(`kept ${dir}\n`);
  else removeTempDir(dir);
};

const STDERR_TAIL_CHARS = 4_000;
const live = new Set<ChildProcessWithoutNullStreams>();

/** Kills every child still running (SIGKILL): used on errors, signals and exit, so none outlives the bench. */
export const killAllChildren = (): void => {
  for (const child of live) {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  }
  live.clear();
};

let hooksInstalled = false;
const installExitHooks = (): void => {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllChildren();
      process.exit(128 + (signal === 'SIGINT' ? 2 : signal === 'SIGTERM' ? 15 : 1));
    });
  }
};

export class ChildServer {
  readonly label: string;
  readonly child: ChildProcessWithoutNullStreams;
  readonly exited: Promise<Exit>;
  /** Called for every complete line of stdout, parsed, with the time its chunk arrived. */
  onMessage: (message: JsonRpcMessage, arrivedNs: bigint) => void = () => {};
  /** Called once after all messages of one stdout chunk were delivered (a good moment to write). */
  onChunkEnd: () => void = () => {};
  /** Called when the child breaks the protocol (a stdout line that is not JSON). */
  onProtocolError: (error: Error) => void = (error) => {
    throw error;
  };
  private stdoutRest = '';
  private stderrTail = '';
  private exit: Exit | undefined;

  private constructor(options: SpawnOptions) {
    installExitHooks();
    this.label = options.label;
    this.child = spawn(process.execPath, [...options.args], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    live.add(this.child);
    this.exited = new Promise<Exit>((resolve) => {
      this.child.once('exit', (code, signal) => {
        live.delete(this.child);
        this.exit = { code, signal };
        resolve(this.exit);
      });
    });
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.receive(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderrTail = (this.stderrTail + chunk).slice(-STDERR_TAIL_CHARS);
    });
    // EPIPE when the child died: reported through `exited`, not as an unhandled error.
    this.child.stdin.on('error', () => {});
  }

  static spawn(options: SpawnOptions): ChildServer {
    return new ChildServer(options);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get hasExited(): boolean {
    return this.exit !== undefined;
  }

  /** The last few KB the child wrote to stderr, for error messages. */
  get stderr(): string {
    return this.stderrTail;
  }

  write(text: string): void {
    this.child.stdin.write(text);
  }

  /** Sends one request and resolves with its response (used for the handshake, not under load). */
  request(id: number, method: string, params: unknown, timeoutMs: number): Promise<JsonRpcMessage> {
    return new Promise<JsonRpcMessage>((resolve, reject) => {
      const previous = this.onMessage;
      const timer = setTimeout(() => {
        this.onMessage = previous;
        reject(this.failure(`no response to ${method} within ${timeoutMs} ms`));
      }, timeoutMs);
      const onExit = (): void => {
        clearTimeout(timer);
        reject(this.failure(`exited before answering ${method}`));
      };
      this.child.once('exit', onExit);
      this.onMessage = (message) => {
        if (message.id !== id) return;
        clearTimeout(timer);
        this.child.off('exit', onExit);
        this.onMessage = previous;
        if (message.error !== undefined) reject(this.failure(`${method} failed: ${JSON.stringify(message.error)}`));
        else resolve(message);
      };
      this.write(JSON.stringify({ jsonrpc: '2.0', id, method, params }) + '\n');
    });
  }

  notify(method: string, params?: unknown): void {
    this.write(JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }) }) + '\n');
  }

  /** Closes stdin (both servers then finish and exit); SIGKILL if still running after `timeoutMs`. */
  async close(timeoutMs: number): Promise<Exit> {
    this.child.stdin.end();
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<Exit>((resolve) => {
      timer = setTimeout(() => {
        this.child.kill('SIGKILL');
        resolve({ code: null, signal: 'SIGKILL' });
      }, timeoutMs);
    });
    const exit = await Promise.race([this.exited, killed]);
    clearTimeout(timer);
    return exit;
  }

  failure(what: string): Error {
    const tail = this.stderrTail.trim();
    return new Error(
      `${this.label} (pid ${this.pid}): ${what}${tail === '' ? '' : `\n--- its stderr (tail) ---\n${tail}`}`,
    );
  }

  private receive(chunk: string): void {
    const arrivedNs = process.hrtime.bigint();
    let text = this.stdoutRest + chunk;
    let start = 0;
    let newline = text.indexOf('\n', start);
    while (newline !== -1) {
      const line = text.slice(start, newline);
      start = newline + 1;
      if (line.trim() !== '') {
        let message: JsonRpcMessage;
        try {
          message = JSON.parse(line) as JsonRpcMessage;
        } catch {
          this.onProtocolError(this.failure(`wrote a line to stdout that is not JSON: ${line.slice(0, 200)}`));
          continue;
        }
        this.onMessage(message, arrivedNs);
      }
      newline = text.indexOf('\n', start);
    }
    text = text.slice(start);
    this.stdoutRest = text;
    this.onChunkEnd();
  }
}

/** Peak resident set size (VmHWM) in KiB, or undefined where /proc is not available. Read before the child exits. */
export const peakRssKiB = (pid: number): number | undefined => {
  try {
    const match = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match === null ? undefined : Number(match[1]);
  } catch {
    return undefined;
  }
};

/** CPU seconds (user + system, all threads) the process has used so far, or undefined without /proc. */
export const cpuSeconds = (pid: number): number | undefined => {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // Fields after the command name, which is in parentheses and may contain spaces.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 (1-based) of the whole line, i.e. 11 and 12 here (0-based).
    const ticks = Number(fields[11]) + Number(fields[12]);
    return ticks / CLOCK_TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
};

/** sysconf(_SC_CLK_TCK): 100 on every Linux Node supports. */
const CLOCK_TICKS_PER_SECOND = 100;
