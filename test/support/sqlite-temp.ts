import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';

/** A temp directory removed after the file's tests; `file()` names a fresh database in it. */
export const useTempDir = (prefix: string) => {
  const dir = mkdtempSync(join(tmpdir(), `apex-${prefix}-`));
  let counter = 0;
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  return {
    dir,
    file: (name = 'events'): string => {
      counter += 1;
      return join(dir, `${name}-${counter}.db`);
    },
  };
};
