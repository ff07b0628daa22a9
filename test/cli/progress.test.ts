import { describe, expect, it } from 'vitest';
import { createProgress, formatProgressLine } from '../../src/cli/progress.js';
import { fitWidths, renderTable, truncateCell } from '../../src/cli/render.js';

/** Enough of a WriteStream for the progress line: what it is, how wide, what was written. */
const fakeStream = (isTTY: boolean, columns = 80) => {
  const written: string[] = [];
  const stream = { isTTY, columns, write: (text: string) => written.push(text) > 0 };
  return { stream: stream as unknown as NodeJS.WriteStream, written };
};

describe('the progress line', () => {
  it('shows a bar, a percentage, the count, the rate and an ETA when the total is known', () => {
    expect(formatProgressLine({ label: 'verifying', unit: 'events', total: 200_000 }, 50_000, 2_000)).toBe(
      'verifying [######------------------]  25%  50,000/200,000 events  25,000/s  ETA 6s',
    );
    expect(formatProgressLine({ label: 'verifying', unit: 'events' }, 50_000, 2_000)).toBe(
      'verifying  50,000 events  25,000/s',
    );
    expect(formatProgressLine({ label: 'v', unit: 'events', total: 10 }, 20, 1_000)).toContain('100%');
  });

  it('draws on a terminal at most every 100 ms, clears itself at the end, and is silent when piped', () => {
    let now = 0;
    const terminal = fakeStream(true);
    const progress = createProgress({
      label: 'verifying',
      unit: 'events',
      total: 100,
      stream: terminal.stream,
      now: () => now,
    });
    progress.update(10);
    now = 50;
    progress.update(20);
    now = 150;
    progress.update(30);
    progress.finish();
    expect(terminal.written).toHaveLength(3);
    expect(terminal.written[0]).toMatch(/^\rverifying \[.*\]\s+10%/);
    expect(terminal.written[1]).toMatch(/30%/);
    expect(terminal.written[2]).toBe('\r\x1b[K');

    const pipe = fakeStream(false);
    const silent = createProgress({ label: 'verifying', unit: 'events', total: 100, stream: pipe.stream });
    silent.update(50);
    silent.finish();
    expect(pipe.written).toEqual([]);
  });
});

describe('tables', () => {
  const rows = [
    { agent: 'alice', balance: '17.000000', note: 'a rather long note that will not fit a narrow terminal' },
    { agent: 'bob', balance: '-2.500000', note: 'short' },
  ];

  it('cut text cells with an ellipsis to fit a width, never numbers, and only when a width is given', () => {
    const full = renderTable(rows);
    expect(full).toContain('a rather long note that will not fit a narrow terminal');
    const narrow = renderTable(rows, { maxWidth: 40 });
    for (const line of narrow.trimEnd().split('\n')) expect(line.length).toBeLessThanOrEqual(40);
    expect(narrow).toContain('…');
    expect(narrow).toContain('17.000000');
    expect(narrow).toContain('-2.500000');
  });

  it('narrow the widest text column first and leave the table as it is when nothing can give', () => {
    expect(fitWidths([5, 30, 10], [false, false, true], 40, [5, 6, 10])).toEqual([5, 21, 10]);
    expect(fitWidths([9, 9], [true, true], 10, [9, 9])).toEqual([9, 9]);
    expect(truncateCell('abcdef', 4)).toBe('abc…');
    expect(truncateCell('abc', 4)).toBe('abc');
  });
});
