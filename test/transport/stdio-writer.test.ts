import { Writable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { createStdioWriter } from '../../src/transport/index.js';
import { letEventLoopTurn, waitUntil } from './stream-helpers.js';

/** A real Writable that records each chunk it is handed and can be made to hold its callbacks (a full pipe). */
class RecordingOutput extends Writable {
  readonly chunks: string[] = [];
  blocked = false;
  readonly #heldCallbacks: Array<() => void> = [];

  constructor(highWaterMark = 16 * 1024) {
    super({ highWaterMark, decodeStrings: false });
  }

  override _write(chunk: Buffer | string, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.chunks.push(chunk.toString());
    if (this.blocked) this.#heldCallbacks.push(callback);
    else callback();
  }

  unblock(): void {
    this.blocked = false;
    for (const callback of this.#heldCallbacks.splice(0)) callback();
  }

  get lines(): unknown[] {
    const text = this.chunks.join('');
    expect(text.endsWith('\n')).toBe(true);
    return text
      .slice(0, -1)
      .split('\n')
      .map((line) => JSON.parse(line));
  }
}

const request = (id: number, text = 'hello'): object => ({
  jsonrpc: '2.0',
  id,
  result: { content: [{ type: 'text', text }] },
});

describe('createStdioWriter', () => {
  it('writes messages sent in the same tick with one write() call, one JSON message per line, in order', async () => {
    const output = new RecordingOutput();
    const writer = createStdioWriter(output);
    const messages = Array.from({ length: 1000 }, (_, i) => request(i, 'line\nbreaks\r\nare escaped'));
    const written = messages.map((message) => writer.write(message));
    expect(new Set(written).size).toBe(1);
    await Promise.all(written);
    expect(output.chunks).toHaveLength(1);
    expect(output.lines).toEqual(messages);
  });

  it('writes messages of different ticks as separate batches', async () => {
    const output = new RecordingOutput();
    const writer = createStdioWriter(output);
    await writer.write(request(1));
    await writer.write(request(2));
    expect(output.chunks).toHaveLength(2);
    expect(output.lines).toEqual([request(1), request(2)]);
  });

  it('stops writing while the output is full and resumes on drain, keeping order', async () => {
    const output = new RecordingOutput(1024);
    output.blocked = true;
    const writer = createStdioWriter(output);
    const first = writer.write(request(0, 'x'.repeat(4096)));
    await waitUntil(() => output.chunks.length === 1);
    expect(output.writableNeedDrain).toBe(true);

    let settled = 0;
    for (let i = 1; i <= 10; i++) {
      writer.write(request(i)).then(() => settled++);
      await letEventLoopTurn(2);
    }
    // Nothing more was handed to the full output, and nothing claims to be written.
    expect(output.chunks).toHaveLength(1);
    expect(settled).toBe(0);
    expect(writer.queuedLength).toBeGreaterThan(0);

    output.unblock();
    await first;
    await waitUntil(() => settled === 10);
    expect(output.chunks).toHaveLength(2);
    expect(writer.queuedLength).toBe(0);
    expect(output.lines).toEqual(
      Array.from({ length: 11 }, (_, i) => request(i, i === 0 ? 'x'.repeat(4096) : 'hello')),
    );
  });

  it('close() flushes what is queued, even behind a full output, and ends the output', async () => {
    const output = new RecordingOutput(64);
    output.blocked = true;
    const writer = createStdioWriter(output);
    writer.write(request(1, 'y'.repeat(1000)));
    await waitUntil(() => output.chunks.length === 1);
    writer.write(request(2));
    const closing = writer.close();
    await letEventLoopTurn();
    expect(output.writableFinished).toBe(false);
    output.unblock();
    await closing;
    expect(output.writableFinished).toBe(true);
    expect(output.lines).toEqual([request(1, 'y'.repeat(1000)), request(2)]);
  });

  it('rejects writes after close()', async () => {
    const writer = createStdioWriter(new RecordingOutput());
    await writer.close();
    await expect(writer.write(request(1))).rejects.toThrow(/closed/);
  });

  it('rejects pending and later writes when the output fails, without an unhandled rejection', async () => {
    const output = new Writable({
      write(_chunk, _encoding, callback) {
        callback(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const writer = createStdioWriter(output);
    writer.write(request(1)); // ignored on purpose: must not crash the process
    await expect(writer.write(request(2))).rejects.toThrow(/EPIPE/);
    await expect(writer.write(request(3))).rejects.toThrow(/EPIPE/);
    await expect(writer.close()).rejects.toThrow(/EPIPE/);
  });

  it('throws at the caller for a message that cannot be serialized, and keeps the queue intact', async () => {
    const output = new RecordingOutput();
    const writer = createStdioWriter(output);
    const ok = writer.write(request(1));
    expect(() => writer.write({ big: 1n })).toThrow(TypeError);
    expect(() => writer.write(undefined)).toThrow(TypeError);
    writer.write(request(2));
    await ok;
    expect(output.lines).toEqual([request(1), request(2)]);
  });
});
