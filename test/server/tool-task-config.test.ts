import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { type ApexConfig, parseConfig } from '../../src/server/config.js';
import { demoTools } from '../../src/server/tools/demo-tools.js';
import { ToolCatalog } from '../../src/server/tools/tool-catalog.js';

const catalogWith = (runAsTask: unknown) => {
  const parsed = parseConfig({
    toolsets: ['demo'],
    tools: { echo: { price: { perCall: '1' }, runAsTask }, sleep: { price: { perCall: '1' }, runAsTask } },
  });
  if (E.isLeft(parsed)) throw new Error(parsed.left.message);
  return new ToolCatalog(demoTools, parsed.right as ApexConfig);
};

const taskSettingsOf = (catalog: ToolCatalog, name: string) => {
  const tool = catalog.get(name)!.tool;
  return { runsAsTask: tool.runsAsTask === true, taskOnly: tool.taskOnly === true };
};

describe('runAsTask in a tool entry of the configuration', () => {
  it('true runs any tool as a task for clients that declare the extension, without making it task-only', () => {
    const catalog = catalogWith(true);
    expect(taskSettingsOf(catalog, 'echo')).toEqual({ runsAsTask: true, taskOnly: false });
  });

  it('"required" makes a tool task-only', () => {
    const catalog = catalogWith('required');
    expect(taskSettingsOf(catalog, 'echo')).toEqual({ runsAsTask: true, taskOnly: true });
    expect(taskSettingsOf(catalog, 'sleep')).toEqual({ runsAsTask: true, taskOnly: true });
  });

  it('false makes a long-running tool a plain one', () => {
    expect(taskSettingsOf(catalogWith(false), 'sleep')).toEqual({ runsAsTask: false, taskOnly: false });
  });

  it('refuses any other value, naming the field', () => {
    const parsed = parseConfig({ tools: { echo: { price: { perCall: '1' }, runAsTask: 'always' } } });
    expect(E.isLeft(parsed)).toBe(true);
    if (E.isLeft(parsed)) expect(parsed.left.message).toMatch(/runAsTask/);
  });
});
