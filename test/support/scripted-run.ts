import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { cliArgs, REPO_ROOT } from './apex-process.js';

/** One JSON-RPC request of a script. */
export interface ScriptedRequest {
  readonly method: string;
  readonly params?: unknown;
}

/** A run of `count` requests kept `inflight` at a time; the next step starts when all are answered. */
export interface ScriptStep {
  readonly count: number;
  readonly request: (index: number) => ScriptedRequest;
  /** Requests outstanding at once (default 128): more than the server's concurrency, so it never waits for us. */
  readonly inflight?: number;
}

/** One `apex serve` process, for one agent, running its steps in order. */
export interface AgentScript {
  readonly agent: string;
  readonly config: string;
  readonly steps: readonly ScriptStep[];
}

export interface AgentRunResult {
  readonly agent: string;
  /** Requests sent and answered, the initialize handshake included. */
  readonly requests: number;
  /** Answered with a result (a tool result with isError counts here, and in toolErrors). */
  readonly results: number;
  readonly toolErrors: number;
  /** Answered with a JSON-RPC error, by code. */
  readonly errors: ReadonlyMap<number, number>;
  readonly exitCode: number | null;
  readonly stderr: string;
}

const DEFAULT_INFLIGHT = 128;
/** No answer for this long while requests are outstanding: the run has stalled, fail loudly. */
const STALL_MS = 120_000;
const PROTOCOL_VERSION = '2025-11-25';

interface WireResponse {
  readonly id?: unknown;
  readonly method?: unknown;
  readonly result?: { readonly isError?: unknown };
  readonly error?: { readonly code: number; readonly message: string };
}

/**
 * Drives one `apex serve` child with raw NDJSON, pipelined: keeps `inflight` requests outstanding,
 * sending the next ones as answers arrive (many lines per write), like a busy MCP client would.
 */
class PipelinedAgent {
  private readonly child: ChildProcessWithoutNullStreams;
  private stdoutTail = '';
  private stderrText = '';
  private nextId = 1;
  private outstanding = 0;
  private results = 0;
  private toolErrors = 0;
  private readonly errors = new Map<number, number>();
  private onAnswer: (() => void) | undefined;
  private readonly exited: Promise<number | null>;
  private exitCode: number | null | undefined;

  constructor(
    private readonly script: AgentScript,
    store: string,
  ) {
    this.child = spawn(
      process.execPath,
      cliArgs('serve', '--config', script.config, '--agent', script.agent, '--store', `sqlite:${store}`),
      { cwd: REPO_ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: { ...process.env, APEX_LOG_LEVEL: 'warn' } },
    );
    this.child.stdout.setEncoding('utf8');
    this.child.stdout.on('data', (chunk: string) => this.onStdout(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (chunk: string) => {
      this.stderrText = (this.stderrText + chunk).slice(-20_000);
    });
    this.child.stdin.on('error', () => undefined);
    this.exited = new Promise((resolve) =>
      this.child.once('exit', (code) => {
        this.exitCode = code;
        resolve(code);
        this.onAnswer?.();
      }),
    );
  }

  async run(): Promise<AgentRunResult> {
    try {
      await this.runStep({
        count: 1,
        inflight: 1,
        request: () => ({
          method: 'initialize',
          params: {
            protocolVersion: PROTOCOL_VERSION,
            capabilities: {},
            clientInfo: { name: 'scripted-run', version: '1' },
          },
        }),
      });
      this.child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', method: 'notifications/initialized' })}\n`);
      for (const step of this.script.steps) await this.runStep(step);
      this.child.stdin.end();
      const exitCode = await this.exited;
      return {
        agent: this.script.agent,
        requests: this.nextId - 1,
        results: this.results,
        toolErrors: this.toolErrors,
        errors: this.errors,
        exitCode,
        stderr: this.stderrText,
      };
    } catch (error) {
      this.child.kill('SIGKILL');
      throw error;
    }
  }

  private async runStep(step: ScriptStep): Promise<void> {
    const inflight = step.inflight ?? DEFAULT_INFLIGHT;
    let sent = 0;
    let lastAnswerAt = Date.now();
    await new Promise<void>((resolve, reject) => {
      const stall = setInterval(() => {
        if (Date.now() - lastAnswerAt > STALL_MS) fail(new Error('no answer for two minutes'));
      }, 1_000);
      const fail = (error: Error) => {
        clearInterval(stall);
        this.onAnswer = undefined;
        reject(new Error(`${this.script.agent}: ${error.message}; stderr: ${this.stderrText.slice(-2_000)}`));
      };
      const topUp = () => {
        if (this.exitCode !== undefined) return fail(new Error(`apex serve exited (${this.exitCode}) mid-run`));
        lastAnswerAt = Date.now();
        let lines = '';
        while (sent < step.count && this.outstanding < inflight) {
          const request = step.request(sent);
          lines += `${JSON.stringify({ jsonrpc: '2.0', id: this.nextId, method: request.method, ...(request.params === undefined ? {} : { params: request.params }) })}\n`;
          this.nextId += 1;
          this.outstanding += 1;
          sent += 1;
        }
        // The pipe's buffer absorbs a few hundred lines; the in-flight cap bounds what we queue beyond it.
        if (lines !== '') this.child.stdin.write(lines);
        if (sent === step.count && this.outstanding === 0) {
          clearInterval(stall);
          this.onAnswer = undefined;
          resolve();
        }
      };
      this.onAnswer = topUp;
      topUp();
    });
  }

  private onStdout(chunk: string): void {
    const lines = (this.stdoutTail + chunk).split('\n');
    this.stdoutTail = lines.pop()!;
    let answered = false;
    for (const line of lines) {
      if (line === '') continue;
      const message = JSON.parse(line) as WireResponse;
      if (message.method !== undefined || typeof message.id !== 'number') continue;
      this.outstanding -= 1;
      answered = true;
      if (message.error !== undefined) {
        this.errors.set(message.error.code, (this.errors.get(message.error.code) ?? 0) + 1);
      } else {
        this.results += 1;
        if (message.result?.isError === true) this.toolErrors += 1;
      }
    }
    // Once per chunk, so the next requests go out as one write.
    if (answered) this.onAnswer?.();
  }
}

/** Runs every agent's script at once, each in its own `apex serve` process on the same store. */
export const runScriptedAgents = (store: string, scripts: readonly AgentScript[]): Promise<AgentRunResult[]> =>
  Promise.all(scripts.map((script) => new PipelinedAgent(script, store).run()));
