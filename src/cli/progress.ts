/** A progress line on a terminal (stderr), redrawn in place; nothing at all when stderr is piped or a file. */
export interface Progress {
  /** `done` units so far; redraws at most every REDRAW_INTERVAL_MS. */
  update(done: number): void;
  /** Clears the line, so what follows starts on a clean line. */
  finish(): void;
}

export interface ProgressOptions {
  readonly label: string;
  /** What `done` counts, e.g. "events". */
  readonly unit: string;
  /** Expected total, for a bar, a percentage and an ETA; unknown: count and rate only. */
  readonly total?: number | undefined;
  readonly stream?: NodeJS.WriteStream;
  readonly now?: () => number;
}

const REDRAW_INTERVAL_MS = 100;
const BAR_WIDTH = 24;

const count = (value: number): string => Math.round(value).toLocaleString('en-US');

const duration = (seconds: number): string => {
  if (!Number.isFinite(seconds)) return '?';
  const whole = Math.max(0, Math.round(seconds));
  if (whole < 60) return `${whole}s`;
  const minutes = Math.floor(whole / 60);
  return minutes < 60
    ? `${minutes}m${String(whole % 60).padStart(2, '0')}s`
    : `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
};

/** One progress line: `label [#####·····]  42%  12,345/29,000 events  8,120/s  ETA 2s`. Pure, for tests. */
export const formatProgressLine = (
  options: { label: string; unit: string; total?: number | undefined },
  done: number,
  elapsedMs: number,
): string => {
  const rate = elapsedMs > 0 ? (done * 1000) / elapsedMs : 0;
  const ratePart = `${count(rate)}/s`;
  if (options.total === undefined || options.total <= 0) {
    return `${options.label}  ${count(done)} ${options.unit}  ${ratePart}`;
  }
  const fraction = Math.min(1, done / options.total);
  const filled = Math.round(fraction * BAR_WIDTH);
  const bar = `[${'#'.repeat(filled)}${'-'.repeat(BAR_WIDTH - filled)}]`;
  const remaining = Math.max(0, options.total - done);
  const eta = rate > 0 ? duration(remaining / rate) : '?';
  return `${options.label} ${bar} ${String(Math.floor(fraction * 100)).padStart(3)}%  ${count(done)}/${count(options.total)} ${options.unit}  ${ratePart}  ETA ${eta}`;
};

const SILENT: Progress = { update: () => undefined, finish: () => undefined };

/** A progress line on `stream` (default stderr) when it is a terminal; a no-op otherwise, so pipes and logs stay clean. */
export const createProgress = (options: ProgressOptions): Progress => {
  const stream = options.stream ?? process.stderr;
  if (stream.isTTY !== true) return SILENT;
  const now = options.now ?? Date.now;
  const started = now();
  let lastDrawn = Number.NEGATIVE_INFINITY;
  let drawn = false;
  return {
    update: (done) => {
      const at = now();
      if (at - lastDrawn < REDRAW_INTERVAL_MS) return;
      lastDrawn = at;
      const line = formatProgressLine(options, done, at - started);
      const width = stream.columns > 0 ? stream.columns - 1 : line.length;
      stream.write(`\r${line.slice(0, width)}\x1b[K`);
      drawn = true;
    },
    finish: () => {
      if (drawn) stream.write('\r\x1b[K');
      drawn = false;
    },
  };
};
