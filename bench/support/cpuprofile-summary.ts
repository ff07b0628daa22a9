/**
 * Summarises a V8 .cpuprofile (from `node --cpu-prof`): the functions with the most self time,
 * self time by file / package, and the inclusive time of the project's own functions.
 *
 *   npx tsx bench/support/cpuprofile-summary.ts FILE.cpuprofile [--top 25] [--skip-ms 0]
 *
 * --skip-ms leaves out the first N ms of the profile (start-up and warm-up).
 * Code run through tsx is emitted on one line; its positions are mapped back to TypeScript lines
 * with the source maps in tsx's cache; when a file has several cache entries (edited since), the one
 * that puts the profile's named functions on lines bearing their names is used, and a line marked
 * `?` comes from a file where that check failed.
 * Percentages are of busy time: every sample except "(idle)".
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { type NamedPosition, TsxSourceMaps } from './tsx-source-maps.js';

interface CallFrame {
  readonly functionName: string;
  readonly url: string;
  readonly lineNumber: number;
  readonly columnNumber: number;
}

interface ProfileNode {
  readonly id: number;
  readonly callFrame: CallFrame;
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly startTime: number;
  readonly endTime: number;
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

const ROOT = process.cwd();

/** A short location: a path relative to the working directory, or `pkg:<name>` inside node_modules, or node's own. */
const fileOf = (url: string): string => {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url;
  let path = url;
  if (url.startsWith('file://')) {
    try {
      path = fileURLToPath(url);
    } catch {
      path = url;
    }
  }
  const modules = path.lastIndexOf('/node_modules/');
  if (modules !== -1) {
    const rest = path.slice(modules + '/node_modules/'.length).split('/');
    const pkg = rest[0]?.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0];
    return `pkg:${pkg}/${rest.slice(rest[0]?.startsWith('@') ? 2 : 1).join('/')}`;
  }
  return path.startsWith('/') ? relative(ROOT, path) : path;
};

const packageOf = (file: string): string => {
  if (!file.startsWith('pkg:')) return file;
  const parts = file.slice(4).split('/');
  return `pkg:${parts[0]?.startsWith('@') ? `${parts[0]}/${parts[1]}` : parts[0]}`;
};

const sourceMaps = new TsxSourceMaps();

const lineOf = (frame: CallFrame): string => {
  if (frame.url === '') return '';
  if (frame.url.startsWith('file://') && /\.[cm]?tsx?$/.test(frame.url)) {
    const path = fileURLToPath(frame.url);
    const line = sourceMaps.originalLine(path, frame.lineNumber, frame.columnNumber);
    if (line !== undefined) return `:${line}${sourceMaps.isTrusted(path) ? '' : '?'}`;
    return `:?(generated ${frame.lineNumber + 1}:${frame.columnNumber + 1})`;
  }
  return `:${frame.lineNumber + 1}`;
};

/** For an anonymous function in a TypeScript file, the start of its source line, to tell which it is. */
const snippetOf = (frame: CallFrame): string => {
  if (frame.functionName !== '' || !frame.url.startsWith('file://')) return '';
  const path = fileURLToPath(frame.url);
  const line = sourceMaps.originalLine(path, frame.lineNumber, frame.columnNumber);
  const text = line === undefined ? undefined : sourceMaps.sourceLine(path, line)?.trim();
  if (text === undefined || text === '') return '';
  return `  «${text.length > 70 ? `${text.slice(0, 69)}…` : text}»`;
};

const keyOf = (frame: CallFrame): string =>
  `${frame.functionName || '(anonymous)'}  ${fileOf(frame.url)}${lineOf(frame)}${snippetOf(frame)}`;

const percent = (part: number, whole: number): string => `${((100 * part) / whole).toFixed(1).padStart(5)}%`;

const top = (totals: Map<string, number>, n: number, whole: number): string[] =>
  [...totals.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, n)
    .map(([key, us]) => `${percent(us, whole)}  ${(us / 1000).toFixed(0).padStart(7)} ms  ${key}`);

const add = (totals: Map<string, number>, key: string, us: number): void => {
  totals.set(key, (totals.get(key) ?? 0) + us);
};

const main = (): void => {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { top: { type: 'string', default: '25' }, 'skip-ms': { type: 'string', default: '0' } },
  });
  const file = positionals[0];
  if (file === undefined) {
    process.stderr.write(
      'usage: npx tsx bench/support/cpuprofile-summary.ts FILE.cpuprofile [--top 25] [--skip-ms 0]\n',
    );
    process.exitCode = 2;
    return;
  }
  const topN = Number(values.top);
  const skipUs = Number(values['skip-ms']) * 1000;
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;

  // For each TypeScript module, pick the tsx cache entry that matches the code that ran.
  const namedByPath = new Map<string, NamedPosition[]>();
  for (const { callFrame } of profile.nodes) {
    if (!callFrame.url.startsWith('file://') || !/\.[cm]?tsx?$/.test(callFrame.url)) continue;
    const path = fileURLToPath(callFrame.url);
    const named = namedByPath.get(path) ?? [];
    named.push({ name: callFrame.functionName, line: callFrame.lineNumber, column: callFrame.columnNumber });
    namedByPath.set(path, named);
  }
  for (const [path, named] of namedByPath) sourceMaps.choose(path, named);

  const byId = new Map<number, ProfileNode>();
  const parent = new Map<number, number>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }

  const selfByFunction = new Map<string, number>();
  const selfByFile = new Map<string, number>();
  const selfByPackage = new Map<string, number>();
  const inclusiveOwn = new Map<string, number>();
  let busyUs = 0;
  let idleUs = 0;
  let t = 0;
  for (let i = 0; i < profile.samples.length; i++) {
    // timeDeltas[i] is the time since the previous sample; it is attributed to sample i.
    const delta = profile.timeDeltas[i] ?? 0;
    t += delta;
    if (t < skipUs) continue;
    const node = byId.get(profile.samples[i]!);
    if (node === undefined) continue;
    if (node.callFrame.functionName === '(idle)') {
      idleUs += delta;
      continue;
    }
    busyUs += delta;
    add(selfByFunction, keyOf(node.callFrame), delta);
    const file = fileOf(node.callFrame.url);
    add(selfByFile, file, delta);
    add(selfByPackage, packageOf(file), delta);
    // Inclusive time of the project's own functions (src/), counted once per sample even when recursive.
    const seen = new Set<string>();
    for (let id: number | undefined = node.id; id !== undefined; id = parent.get(id)) {
      const frame = byId.get(id)!.callFrame;
      if (!fileOf(frame.url).startsWith('src/')) continue;
      const key = keyOf(frame);
      if (seen.has(key)) continue;
      seen.add(key);
      add(inclusiveOwn, key, delta);
    }
  }

  const wallUs = profile.endTime - profile.startTime - skipUs;
  const out = [
    `${file}`,
    `profile ${(wallUs / 1e6).toFixed(2)} s (after skipping ${skipUs / 1000} ms): busy ${(busyUs / 1e6).toFixed(2)} s, idle ${(idleUs / 1e6).toFixed(2)} s; percentages are of busy time (main thread only)`,
    '',
    `top ${topN} functions by self time:`,
    ...top(selfByFunction, topN, busyUs),
    '',
    'self time by package / node internals (top 15):',
    ...top(selfByPackage, 15, busyUs),
    '',
    `self time by file (top ${topN}):`,
    ...top(selfByFile, topN, busyUs),
    '',
    `project functions (src/) by inclusive time (top ${topN}):`,
    ...top(inclusiveOwn, topN, busyUs),
  ];
  process.stdout.write(out.join('\n') + '\n');
};

main();
