/**
 * Maps positions in code that tsx generated back to the TypeScript source lines, using the
 * source maps tsx keeps in its on-disk cache (`<tmpdir>/tsx-<uid>/`, one JSON file per transformed
 * module: { code, map }). Needed because tsx emits each module on one line, so a CPU profile's
 * positions (line 0, column N) say nothing without the map.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join } from 'node:path';

interface RawMap {
  readonly sources: readonly string[];
  readonly mappings: string;
}

/** Per generated line: segments [generatedColumn, sourceIndex, originalLine (0-based)], sorted by column. */
type DecodedMap = {
  readonly sources: readonly string[];
  readonly lines: ReadonlyArray<ReadonlyArray<readonly [number, number, number]>>;
};

const BASE64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
const BASE64_VALUE = new Map([...BASE64].map((char, i) => [char, i]));

const decodeVlq = (segment: string): number[] => {
  const values: number[] = [];
  let value = 0;
  let shift = 0;
  for (const char of segment) {
    const digit = BASE64_VALUE.get(char);
    if (digit === undefined) break;
    value += (digit & 31) << shift;
    if (digit & 32) {
      shift += 5;
    } else {
      values.push(value & 1 ? -(value >>> 1) : value >>> 1);
      value = 0;
      shift = 0;
    }
  }
  return values;
};

const decode = (map: RawMap): DecodedMap => {
  const lines: Array<Array<readonly [number, number, number]>> = [];
  let source = 0;
  let originalLine = 0;
  for (const line of map.mappings.split(';')) {
    let column = 0;
    const segments: Array<readonly [number, number, number]> = [];
    for (const segment of line.split(',')) {
      if (segment === '') continue;
      const fields = decodeVlq(segment);
      column += fields[0] ?? 0;
      if (fields.length >= 4) {
        source += fields[1]!;
        originalLine += fields[2]!;
        segments.push([column, source, originalLine]);
      }
    }
    lines.push(segments);
  }
  return { sources: map.sources, lines };
};

export interface NamedPosition {
  readonly name: string;
  readonly line: number;
  readonly column: number;
}

interface CacheEntry {
  readonly file: string;
  readonly mtimeMs: number;
}

/** The last part of a V8 function name ("Class.method" → "method"), as it appears in the source. */
const shortName = (name: string): string => name.slice(name.lastIndexOf('.') + 1).replace(/^#/, '');

export class TsxSourceMaps {
  /** Every cache entry for a source file, newest first (a file edited back and forth has several). */
  private readonly bySource = new Map<string, CacheEntry[]>();
  private readonly decoded = new Map<string, DecodedMap | undefined>();
  private readonly chosen = new Map<string, { readonly entry: CacheEntry; readonly trusted: boolean }>();
  private readonly sources = new Map<string, readonly string[]>();

  constructor(readonly directory: string = join(tmpdir(), `tsx-${userInfo().uid}`)) {
    let entries: string[] = [];
    try {
      entries = readdirSync(directory);
    } catch {
      return;
    }
    for (const entry of entries) {
      const file = join(directory, entry);
      try {
        const text = readFileSync(file, 'utf8');
        const match = /"sources":\["((?:[^"\\]|\\.)*)"/.exec(text);
        if (match === null) continue;
        const source = JSON.parse(`"${match[1]}"`) as string;
        const list = this.bySource.get(source) ?? [];
        list.push({ file, mtimeMs: statSync(file).mtimeMs });
        this.bySource.set(source, list);
      } catch {
        // not a cache entry we understand
      }
    }
    for (const list of this.bySource.values()) list.sort((a, b) => b.mtimeMs - a.mtimeMs);
  }

  get size(): number {
    return this.bySource.size;
  }

  /**
   * Picks, among the cache entries of `path`, the one the profiled process most likely ran: the
   * entry under which most of the profile's functions land on a plausible source line (a named
   * one on a line containing its name, an anonymous one on a line with `=>` or `function`; ties:
   * the newest). Untrusted when fewer than half do.
   */
  choose(path: string, named: readonly NamedPosition[]): void {
    const candidates = this.bySource.get(path);
    if (candidates === undefined) return;
    let sourceLines: string[] = [];
    try {
      sourceLines = readFileSync(path, 'utf8').split('\n');
    } catch {
      // scored as zero
    }
    let best = candidates[0]!;
    let bestScore = -1;
    for (const candidate of candidates) {
      const map = this.decode(candidate);
      let score = 0;
      for (const position of named) {
        const line = map === undefined ? undefined : lineIn(map, position.line, position.column);
        const text = line === undefined ? undefined : sourceLines[line - 1];
        if (text === undefined) continue;
        // A named function's line bears its name; an anonymous one's at least starts a function.
        if (position.name === '' ? /=>|function/.test(text) : text.includes(shortName(position.name))) score++;
      }
      if (score > bestScore) {
        best = candidate;
        bestScore = score;
      }
    }
    const trusted = named.length === 0 ? candidates.length === 1 : bestScore * 2 >= named.length;
    this.sources.set(path, sourceLines);
    this.chosen.set(path, { entry: best, trusted });
  }

  /** The 1-based source line for a 0-based generated position in the module at `path`, if known. */
  originalLine(path: string, line: number, column: number): number | undefined {
    const entry = this.chosen.get(path)?.entry ?? this.bySource.get(path)?.[0];
    const map = entry === undefined ? undefined : this.decode(entry);
    return map === undefined ? undefined : lineIn(map, line, column);
  }

  /** The current text of a source line (1-based), read when `choose` ran. */
  sourceLine(path: string, line: number): string | undefined {
    return this.sources.get(path)?.[line - 1];
  }

  /** False when the lines of `path` may be off (see choose). */
  isTrusted(path: string): boolean {
    const chosen = this.chosen.get(path);
    return chosen === undefined ? (this.bySource.get(path)?.length ?? 0) <= 1 : chosen.trusted;
  }

  private decode(entry: CacheEntry): DecodedMap | undefined {
    if (this.decoded.has(entry.file)) return this.decoded.get(entry.file);
    let map: DecodedMap | undefined;
    try {
      map = decode((JSON.parse(readFileSync(entry.file, 'utf8')) as { map: RawMap }).map);
    } catch {
      map = undefined;
    }
    this.decoded.set(entry.file, map);
    return map;
  }
}

/** The source line (1-based) of the last mapping at or before a generated position. */
const lineIn = (map: DecodedMap, line: number, column: number): number | undefined => {
  const segments = map.lines[line];
  if (segments === undefined || segments.length === 0) return undefined;
  let found: readonly [number, number, number] | undefined;
  for (const segment of segments) {
    if (segment[0] > column) break;
    found = segment;
  }
  return (found ?? segments[0]!)[2] + 1;
};
