import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { lastValueFrom, mergeMap, Subject, take, tap, toArray } from 'rxjs';
import { describe, expect, it } from 'vitest';
import {
  BACKPRESSURE_THRESHOLD,
  type Frame,
  INPUT_BUFFER_BYTES,
  MAX_MESSAGE_BYTES,
  readStdioFrames,
} from '../../src/transport/index.js';
import { letEventLoopTurn, waitUntil, writeRespectingBackpressure } from './stream-helpers.js';

const PAUSE_ABOVE_BYTES = INPUT_BUFFER_BYTES * BACKPRESSURE_THRESHOLD;

const paddedLine = (i: number, padBytes: number): string =>
  JSON.stringify({ jsonrpc: '2.0', id: i, method: 'tools/call', params: { pad: 'p'.repeat(padBytes) } }) + '\n';

const lines = (count: number, padBytes: number): string[] =>
  Array.from({ length: count }, (_, i) => paddedLine(i, padBytes));

describe('readStdioFrames backpressure', () => {
  it('pauses the input while the consumer holds frames, and resumes when it releases them', async () => {
    const input = new PassThrough();
    const reader = readStdioFrames(input);
    const held: Frame[] = [];
    let delivered = 0;
    let completed = false;
    reader.frames$.subscribe({
      next: (frame) => {
        delivered++;
        held.push(frame);
      },
      complete: () => (completed = true),
    });
    const total = 400; // about 4 MB: twice the buffer
    const producing = writeRespectingBackpressure(input, lines(total, 10_000)).then(() => input.end());

    // (`completed` ends the wait at once if reading never pauses, so that the test fails rather than hangs.)
    await waitUntil(() => input.isPaused() || completed);
    expect(completed).toBe(false);
    // The producer is now blocked on 'drain' and nothing more is read, however long we wait.
    await waitUntil(() => input.writableNeedDrain);
    const heldWhenPaused = held.length;
    await letEventLoopTurn();
    expect(held.length).toBe(heldWhenPaused);
    expect(input.isPaused()).toBe(true);
    expect(reader.pausedForBackpressure).toBe(true);
    expect(reader.heldBytes).toBeGreaterThan(PAUSE_ABOVE_BYTES);
    expect(reader.heldBytes).toBeLessThanOrEqual(INPUT_BUFFER_BYTES);
    expect(heldWhenPaused).toBeLessThan(total);

    // Releasing the oldest frames brings held input under the threshold: reading resumes.
    while (reader.heldBytes > PAUSE_ABOVE_BYTES) reader.release(held.shift()!);
    expect(reader.pausedForBackpressure).toBe(false);
    expect(input.isPaused()).toBe(false);

    // A consumer that keeps up gets every frame.
    const releaseAll = (): void => {
      while (held.length > 0) reader.release(held.shift()!);
    };
    while (!completed) {
      releaseAll();
      await letEventLoopTurn(1);
    }
    releaseAll();
    await producing;
    expect(delivered).toBe(total);
    expect(reader.heldBytes).toBe(0);
  });

  it('stops reading while a bounded-concurrency dispatcher is busy, and delivers everything once it is not', async () => {
    const input = new PassThrough();
    const reader = readStdioFrames(input);
    const concurrency = 4;
    const gates: Subject<void>[] = [];
    let started = 0;
    const handled$ = reader.frames$.pipe(
      mergeMap((frame) => {
        started++;
        const gate = new Subject<void>();
        gates.push(gate);
        return gate.pipe(
          take(1),
          tap(() => reader.release(frame)),
        );
      }, concurrency),
      toArray(),
    );
    const handled = lastValueFrom(handled$);
    const total = 300;
    let produced = false;
    const producing = writeRespectingBackpressure(input, lines(total, 10_000)).then(() => {
      produced = true;
      input.end();
    });

    await waitUntil(() => input.isPaused() || produced);
    expect(produced).toBe(false);
    await waitUntil(() => input.writableNeedDrain);
    expect(started).toBe(concurrency);
    expect(reader.heldBytes).toBeGreaterThan(PAUSE_ABOVE_BYTES);

    // Finish work as it starts; the dispatcher drains the buffered frames and reading resumes.
    let opened = 0;
    const openGates = (): void => {
      while (opened < gates.length) gates[opened++]!.next();
    };
    const drained = (async () => {
      while (opened < total) {
        openGates();
        await letEventLoopTurn(1);
      }
    })();
    expect((await handled).length).toBe(total);
    await drained;
    await producing;
    expect(reader.heldBytes).toBe(0);
  });

  it('applies backpressure to a real child process writing to a pipe', async () => {
    const total = 500;
    const script = `
      const line = (i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: 'x', params: { pad: 'q'.repeat(10000) } }) + '\\n';
      let i = 0;
      const writeMore = () => {
        while (i < ${total}) { if (!process.stdout.write(line(i++))) return process.stdout.once('drain', writeMore); }
        process.stdout.end();
      };
      writeMore();`;
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    const reader = readStdioFrames(child.stdout);
    const held: Frame[] = [];
    let completed = false;
    reader.frames$.subscribe({ next: (frame) => held.push(frame), complete: () => (completed = true) });

    await waitUntil(() => child.stdout.isPaused() || completed);
    expect(reader.heldBytes).toBeGreaterThan(PAUSE_ABOVE_BYTES);
    expect(reader.heldBytes).toBeLessThanOrEqual(INPUT_BUFFER_BYTES);
    expect(held.length).toBeLessThan(total);
    expect(child.exitCode).toBeNull();

    let received = 0;
    while (!completed) {
      while (held.length > 0) {
        reader.release(held.shift()!);
        received++;
      }
      await letEventLoopTurn(1);
    }
    const [exitCode] = await (child.exitCode === null ? once(child, 'exit') : [child.exitCode]);
    expect(exitCode).toBe(0);
    expect(received).toBe(total);
  });
});

describe('readStdioFrames memory', () => {
  it('discards a 50 MiB line streamed in 64 KiB chunks without holding more than the limit', async () => {
    const input = new PassThrough();
    const reader = readStdioFrames(input);
    const frames = lastValueFrom(reader.frames$.pipe(toArray()));
    let maxHeld = 0;
    // Registered after the reader's own listener, so it sees the held bytes after each chunk.
    input.on('data', () => {
      maxHeld = Math.max(maxHeld, reader.heldBytes);
    });
    const chunk = Buffer.alloc(64 * 1024, 'm');
    const chunks = function* () {
      for (let i = 0; i < 800; i++) yield chunk;
      yield Buffer.from('\n{"after":"the long line"}\n');
    };
    await writeRespectingBackpressure(input, chunks());
    input.end();
    expect(await frames).toEqual([
      { kind: 'oversized', bytes: 50 * 1024 * 1024 },
      { kind: 'message', text: '{"after":"the long line"}', bytes: 25 },
    ]);
    expect(maxHeld).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThanOrEqual(MAX_MESSAGE_BYTES + 1);
  });
});

describe('readStdioFrames contract', () => {
  it('refuses a second subscriber, which would read the same stream twice', async () => {
    const reader = readStdioFrames(new PassThrough());
    reader.frames$.subscribe();
    await expect(lastValueFrom(reader.frames$)).rejects.toThrow(/one subscriber/);
  });

  it('treats releasing more than was delivered as a bug', async () => {
    const input = new PassThrough();
    const reader = readStdioFrames(input);
    const frames = lastValueFrom(reader.frames$.pipe(toArray()));
    input.end('{"a":1}\n');
    const [frame] = await frames;
    reader.release(frame!);
    expect(() => reader.release(frame!)).toThrow(/more often/);
  });

  it('ignores release() of frames that hold nothing', () => {
    const reader = readStdioFrames(new PassThrough());
    reader.release({ kind: 'invalid_utf8' });
    reader.release({ kind: 'oversized', bytes: 10 });
    expect(reader.heldBytes).toBe(0);
  });
});
