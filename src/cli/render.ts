export type ReportFormat = 'table' | 'json' | 'csv';

export type Cell = string | number | boolean;
export type Row = Readonly<Record<string, Cell>>;

export interface TableOptions {
  /** Column order; default: the keys of the first row (needed to print a header over no rows). */
  readonly columns?: readonly string[];
  /** Fit lines into this many characters by truncating text cells with "…"; unset: never truncate. */
  readonly maxWidth?: number | undefined;
}

/** Cells are never narrowed below this (or their header, if shorter), so a truncated cell still says something. */
const MIN_TRUNCATED_WIDTH = 6;
const COLUMN_GAP = 2;
const NUMBER = /^-?\d+(\.\d+)?$/;

/** The terminal's width when stdout is one; undefined when piped or redirected (never truncate then). */
export const terminalWidth = (stream: NodeJS.WriteStream = process.stdout): number | undefined =>
  stream.isTTY === true && stream.columns > 0 ? stream.columns : undefined;

/** A reader that goes away (`apex events | head`) is no failure: exit 0 instead of crashing on EPIPE. */
export const exitQuietlyWhenReaderLeaves = (stream: NodeJS.WriteStream = process.stdout): void => {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code === 'EPIPE') process.exit(0);
    process.stderr.write(`apex: cannot write the output: ${error.message}\n`);
    process.exit(1);
  });
};

/** `text` cut to `width` characters, its last one an ellipsis when cut. */
export const truncateCell = (text: string, width: number): string =>
  text.length <= width ? text : width <= 0 ? '' : `${text.slice(0, width - 1)}…`;

const csvCell = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/**
 * Narrows the widest text columns until the line fits `maxWidth`. Number columns are never
 * narrowed: a cut number is a wrong number. Returns the widths unchanged when nothing can give.
 */
export const fitWidths = (
  widths: readonly number[],
  numeric: readonly boolean[],
  maxWidth: number,
  minimums: readonly number[],
): number[] => {
  const fitted = [...widths];
  const total = () => fitted.reduce((sum, width) => sum + width, 0) + COLUMN_GAP * Math.max(0, fitted.length - 1);
  while (total() > maxWidth) {
    let widest = -1;
    for (let index = 0; index < fitted.length; index++) {
      if (numeric[index] || fitted[index]! <= minimums[index]!) continue;
      if (widest === -1 || fitted[index]! > fitted[widest]!) widest = index;
    }
    if (widest === -1) break;
    fitted[widest] = fitted[widest]! - 1;
  }
  return fitted;
};

/** Rows as a padded table: numbers right-aligned, text cut with "…" only when `maxWidth` is given. */
export const renderTable = (rows: readonly Row[], options: TableOptions = {}): string => {
  const columns = options.columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : []);
  if (rows.length === 0) return '(no rows)\n';
  const cells = rows.map((row) => columns.map((column) => String(row[column] ?? '')));
  const natural = columns.map((column, index) => Math.max(column.length, ...cells.map((line) => line[index]!.length)));
  const numeric = columns.map((_column, index) =>
    cells.every((line) => NUMBER.test(line[index]!) || line[index] === ''),
  );
  const widths =
    options.maxWidth === undefined
      ? natural
      : fitWidths(
          natural,
          numeric,
          options.maxWidth,
          natural.map((width, index) => Math.min(width, Math.max(MIN_TRUNCATED_WIDTH, columns[index]!.length))),
        );
  const line = (values: readonly string[]) =>
    values
      .map((value, index) => {
        const width = widths[index]!;
        const cell = truncateCell(value, width);
        return numeric[index] ? cell.padStart(width) : cell.padEnd(width);
      })
      .join(' '.repeat(COLUMN_GAP))
      .trimEnd();
  return `${[line(columns), line(widths.map((width) => '-'.repeat(width))), ...cells.map(line)].join('\n')}\n`;
};

/** RFC 4180 CSV with a header line. */
export const renderCsv = (rows: readonly Row[], columns?: readonly string[]): string => {
  const header = columns ?? (rows.length > 0 ? Object.keys(rows[0]!) : []);
  const lines = [
    header.join(','),
    ...rows.map((row) => header.map((column) => csvCell(String(row[column] ?? ''))).join(',')),
  ];
  return `${lines.join('\n')}\n`;
};

/** Rows as a padded table (numbers right-aligned), a JSON array, or RFC 4180 CSV. */
export const renderRows = (rows: readonly Row[], format: ReportFormat, options: TableOptions = {}): string => {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  if (format === 'csv') return renderCsv(rows, options.columns);
  return renderTable(rows, options);
};

/** `label  value` lines, labels padded to one width; values cut with "…" only when `maxWidth` is given. */
export const renderPairs = (pairs: readonly (readonly [string, Cell])[], maxWidth?: number): string => {
  const labelWidth = Math.max(0, ...pairs.map(([label]) => label.length));
  return pairs
    .map(([label, value]) => {
      const text = `${label.padEnd(labelWidth)}  ${String(value)}`.trimEnd();
      return `${maxWidth === undefined ? text : truncateCell(text, maxWidth)}\n`;
    })
    .join('');
};
