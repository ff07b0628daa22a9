import type { ReportFormat } from './report.js';

type Row = Readonly<Record<string, string | number | boolean>>;

const csvCell = (value: string): string => (/[",\n\r]/.test(value) ? `"${value.replaceAll('"', '""')}"` : value);

/** Rows as a padded table (numbers right-aligned), a JSON array, or RFC 4180 CSV. */
export const renderRows = (rows: readonly Row[], format: ReportFormat): string => {
  if (format === 'json') return `${JSON.stringify(rows, null, 2)}\n`;
  const columns = rows.length > 0 ? Object.keys(rows[0]!) : [];
  if (format === 'csv') {
    const lines = [
      columns.join(','),
      ...rows.map((row) => columns.map((column) => csvCell(String(row[column]))).join(',')),
    ];
    return `${lines.join('\n')}\n`;
  }
  if (rows.length === 0) return '(no rows)\n';
  const widths = columns.map((column) => Math.max(column.length, ...rows.map((row) => String(row[column]).length)));
  const numeric = columns.map((column) =>
    rows.every((row) => /^-?\d+(\.\d+)?$/.test(String(row[column])) || row[column] === ''),
  );
  const line = (cells: readonly string[]) =>
    cells
      .map((cell, index) => (numeric[index] ? cell.padStart(widths[index]!) : cell.padEnd(widths[index]!)))
      .join('  ')
      .trimEnd();
  return `${[line(columns), line(widths.map((width) => '-'.repeat(width))), ...rows.map((row) => line(columns.map((column) => String(row[column]))))].join('\n')}\n`;
};
