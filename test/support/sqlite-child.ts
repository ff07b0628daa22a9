import type { ChildProcessWithoutNullStreams } from 'node:child_process';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

const running = new Set<ChildProcessWithoutNullStreams>();

/** Starts `node --import tsx <script> <json argument>` from the project root. */
export const spawnTsChild = (script: string, argument: unknown): ChildProcessWithoutNullStreams => {
  const child = spawn(process.execPath, ['--import', 'tsx', script, JSON.stringify(argument)], {
    cwd: PROJECT_ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  running.add(child);
  child.on('exit', () => running.delete(child));
  return child;
};

/** For afterEach: a failed test must not leave its children running. */
export const killRunningChildren = (): void => {
  for (const child of running) child.kill('SIGKILL');
};

/** Calls `onLine` for every complete stdout line of the child. */
export const onStdoutLine = (child: ChildProcessWithoutNullStreams, onLine: (line: string) => void): void => {
  let buffered = '';
  child.stdout.setEncoding('utf8');
  child.stdout.on('data', (chunk: string) => {
    buffered += chunk;
    let newline = buffered.indexOf('\n');
    while (newline !== -1) {
      onLine(buffered.slice(0, newline));
      buffered = buffered.slice(newline + 1);
      newline = buffered.indexOf('\n');
    }
  });
};

export interface ChildExit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stderr: string;
}

/** Resolves when the child has exited and its output streams are closed. */
export const childExit = (child: ChildProcessWithoutNullStreams): Promise<ChildExit> => {
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    stderr += chunk;
  });
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
};
