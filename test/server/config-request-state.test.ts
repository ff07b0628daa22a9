import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { inspect } from 'node:util';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import {
  type ApexConfig,
  type ConfigEnvironment,
  type ConfigError,
  loadConfig,
  parseConfig,
} from '../../src/server/config.js';
import { MIN_REQUEST_STATE_SECRET_LENGTH } from '../../src/server/mrtr/request-state.js';
import { writeConfig } from '../support/apex-process.js';
import { useTempDir } from '../support/sqlite-temp.js';

const temp = useTempDir('config-request-state');

const SECRET = 'f3b1c2d4e5a6978812ab34cd56ef7890a1b2c3d4e5f60718';
const SHORT = 'only-twenty-chars-xx';

const environment = (env: Record<string, string> = {}): ConfigEnvironment => ({ env, baseDir: temp.dir });

const parsed = (result: E.Either<ConfigError, ApexConfig>): ApexConfig => {
  if (E.isLeft(result)) throw new Error(`expected a valid configuration, got: ${result.left.message}`);
  return result.right;
};

const refusal = (result: E.Either<ConfigError, ApexConfig>): string => {
  if (E.isRight(result)) throw new Error('expected the configuration to be refused');
  return result.left.message;
};

describe('requestState in the configuration', () => {
  it('is absent unless configured, and the rest of the configuration reads as before', () => {
    const config = parsed(parseConfig({ toolsets: ['demo'] }, environment({ APEX_REQUEST_STATE_SECRET: SECRET })));
    expect(config.requestState).toBeUndefined();
    expect(config.toolsets).toEqual(['demo']);
  });

  it('reads the secret from the environment variable secretEnv names', () => {
    const config = parsed(
      parseConfig(
        { requestState: { secretEnv: 'APEX_REQUEST_STATE_SECRET' } },
        environment({ APEX_REQUEST_STATE_SECRET: SECRET }),
      ),
    );
    expect(config.requestState?.secret.reveal()).toBe(SECRET);
    expect(config.requestState?.source).toBe('environment variable APEX_REQUEST_STATE_SECRET');
  });

  it('refuses a secretEnv whose variable is not set, or empty, naming the field and the variable', () => {
    for (const env of [{}, { APEX_REQUEST_STATE_SECRET: '  ' }] as Record<string, string>[]) {
      const message = refusal(
        parseConfig({ requestState: { secretEnv: 'APEX_REQUEST_STATE_SECRET' } }, environment(env)),
      );
      expect(message).toContain('requestState.secretEnv');
      expect(message).toContain('APEX_REQUEST_STATE_SECRET is not set');
    }
  });

  it(`refuses a secret shorter than ${MIN_REQUEST_STATE_SECRET_LENGTH} characters without printing it`, () => {
    const message = refusal(parseConfig({ requestState: { secretEnv: 'S' } }, environment({ S: SHORT })));
    expect(message).toContain('requestState.secretEnv');
    expect(message).toContain(`at least ${MIN_REQUEST_STATE_SECRET_LENGTH} characters`);
    expect(message).not.toContain(SHORT);
    // Exactly the minimum is enough.
    const minimal = 'x'.repeat(MIN_REQUEST_STATE_SECRET_LENGTH);
    expect(
      parsed(
        parseConfig({ requestState: { secretEnv: 'S' } }, environment({ S: minimal })),
      ).requestState?.secret.reveal(),
    ).toBe(minimal);
  });

  it('reads secretFile relative to the config file, without its trailing newline', () => {
    writeFileSync(join(temp.dir, 'state.secret'), `${SECRET}\n`, { mode: 0o600 });
    const path = writeConfig(temp.dir, { requestState: { secretFile: 'state.secret' } }, 'file.config.json');
    const config = parsed(loadConfig(path, {}));
    expect(config.requestState?.secret.reveal()).toBe(SECRET);
    expect(config.requestState?.source).toBe(`file ${join(temp.dir, 'state.secret')}`);
  });

  it('refuses a secretFile that cannot be read, or holds too short a secret, naming the field and the file', () => {
    const missing = refusal(parseConfig({ requestState: { secretFile: 'absent.secret' } }, environment()));
    expect(missing).toContain('requestState.secretFile');
    expect(missing).toContain(`cannot read ${join(temp.dir, 'absent.secret')}: ENOENT`);
    writeFileSync(join(temp.dir, 'short.secret'), `${SHORT}\n`);
    const short = refusal(parseConfig({ requestState: { secretFile: 'short.secret' } }, environment()));
    expect(short).toContain('requestState.secretFile');
    expect(short).toContain('too short');
    expect(short).not.toContain(SHORT);
  });

  it.each([
    [
      'both sources',
      { secretEnv: 'S', secretFile: 'state.secret' },
      'requestState: give one of secretEnv or secretFile',
    ],
    ['no source', {}, 'requestState: name where the secret is'],
    ['the secret itself (not a field)', { secret: SECRET }, 'requestState.secret: unknown field'],
    [
      'a variable name with a space',
      { secretEnv: 'MY SECRET' },
      'requestState.secretEnv: expected an environment variable name',
    ],
    ['an empty file name', { secretFile: '' }, 'requestState.secretFile: expected a non-empty string'],
  ])('refuses %s', (_case, section, says) => {
    const message = refusal(parseConfig({ requestState: section }, environment({ S: SECRET })));
    expect(message).toContain(says);
    expect(message).not.toContain(SECRET);
  });

  it('does not echo a secret pasted in place of its source', () => {
    for (const section of [
      { secretEnv: `a${SECRET}` },
      { secretEnv: `a ${SECRET}` },
      { secretFile: 42, secretEnv: SECRET },
    ]) {
      const message = refusal(parseConfig({ requestState: section }, environment()));
      expect(message).toContain('requestState');
      expect(message).not.toContain(SECRET);
    }
  });

  it('never shows the secret when the configuration is logged, inspected or serialised', () => {
    const config = parsed(parseConfig({ requestState: { secretEnv: 'S' } }, environment({ S: SECRET })));
    for (const shown of [
      JSON.stringify(config.requestState),
      inspect(config, { depth: 10 }),
      `${config.requestState?.secret}`,
    ]) {
      expect(shown).not.toContain(SECRET);
    }
    expect(JSON.stringify(config.requestState)).toContain('[redacted]');
  });
});
