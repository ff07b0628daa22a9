/**
 * Temporary directories of a benchmark (APEX's config and SQLite file), removed when the
 * measurement ends and, failing that, when the process exits (an error, or Ctrl-C through the
 * child-server signal hooks, which call process.exit).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const pending = new Set<string>();
let hookInstalled = false;

/** A new directory under the OS temp dir; unless `keep`, it is removed at exit if not before. */
export const makeTempDir = (prefix: string, keep: boolean): string => {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  if (keep) return dir;
  if (!hookInstalled) {
    hookInstalled = true;
    process.on('exit', () => {
      for (const pendingDir of pending) rmSync(pendingDir, { recursive: true, force: true });
    });
  }
  pending.add(dir);
  return dir;
};

/** Removes a directory from makeTempDir now (kept ones are left alone). */
export const removeTempDir = (dir: string): void => {
  if (!pending.delete(dir)) return;
  rmSync(dir, { recursive: true, force: true });
};
