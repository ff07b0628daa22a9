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

export class TsxSourceMaps {
  private readonly bySource = new Map<string, { readonly file: string; readonly mtimeMs: number }>();
  private readonly decoded = new Map<string, DecodedMap | undefined>();

  /** Indexes the cache: for each source file, its most recently written entry. */
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
        const { mtimeMs } = statSync(file);
        const known = this.bySource.get(source);
        if (known === undefined || known.mtimeMs < mtimeMs) this.bySource.set(source, { file, mtimeMs });
      } catch {
        // not a cache entry we understand
      }
    }
  }

  get size(): number {
    return this.bySource.size;
  }

  /** The 1-based source line for a 0-based generated position in the module at `path`, if known. */
  originalLine(path: string, line: number, column: number): number | undefined {
    const map = this.mapFor(path);
    const segments = map?.lines[line];
    if (segments === undefined || segments.length === 0) return undefined;
    let found: readonly [number, number, number] | undefined;
    for (const segment of segments) {
      if (segment[0] > column) break;
      found = segment;
    }
    return (found ?? segments[0]!)[2] + 1;
  }

  /** True when the source changed after its newest cache entry was written: mapped lines may be off. */
  isStale(path: string): boolean {
    const entry = this.bySource.get(path);
    if (entry === undefined) return false;
    try {
      return statSync(path).mtimeMs > entry.mtimeMs;
    } catch {
      return false;
    }
  }

  private mapFor(path: string): DecodedMap | undefined {
    if (this.decoded.has(path)) return this.decoded.get(path);
    let map: DecodedMap | undefined;
    const entry = this.bySource.get(path);
    if (entry !== undefined) {
      try {
        map = decode((JSON.parse(readFileSync(entry.file, 'utf8')) as { map: RawMap }).map);
      } catch {
        map = undefined;
      }
    }
    this.decoded.set(path, map);
    return map;
  }
}
