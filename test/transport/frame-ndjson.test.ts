import { from, lastValueFrom, toArray } from 'rxjs';
import { TestScheduler } from 'rxjs/testing';
import { describe, expect, it } from 'vitest';
import { type Frame, frameNdjson, MAX_MESSAGE_BYTES, NdjsonFramer } from '../../src/transport/index.js';

const testScheduler = (): TestScheduler => new TestScheduler((actual, expected) => expect(actual).toEqual(expected));

const message = (text: string): Frame => ({ kind: 'message', text, bytes: Buffer.byteLength(text) });

const frameAll = (chunks: readonly Buffer[], options = {}): Promise<Frame[]> =>
  lastValueFrom(from(chunks).pipe(frameNdjson(options), toArray()));

describe('frameNdjson (marbles)', () => {
  it('emits a message when its newline arrives, not before', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const chunks$ = cold('-a-b-c|', {
        a: Buffer.from('{"id":'),
        b: Buffer.from('1}\n{"id"'),
        c: Buffer.from(':2}\n'),
      });
      expectObservable(chunks$.pipe(frameNdjson())).toBe('---x-y|', {
        x: message('{"id":1}'),
        y: message('{"id":2}'),
      });
    });
  });

  it('emits every message of one chunk in the same frame of time, in order', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const chunks$ = cold('--a-----|', { a: Buffer.from('{"a":1}\n{"b":2}\r\n\n{"c":3}\n') });
      expectObservable(chunks$.pipe(frameNdjson())).toBe('--(xyz)-|', {
        x: message('{"a":1}'),
        y: message('{"b":2}'),
        z: message('{"c":3}'),
      });
    });
  });

  it('emits an unterminated last line when the input completes', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const chunks$ = cold('-a--|', { a: Buffer.from('{"last":true}') });
      expectObservable(chunks$.pipe(frameNdjson())).toBe('----(x|)', { x: message('{"last":true}') });
    });
  });

  it('passes an input error through after the frames before it', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const failure = new Error('EIO');
      const chunks$ = cold('-a-#', { a: Buffer.from('{}\n') }, failure);
      expectObservable(chunks$.pipe(frameNdjson())).toBe('-x-#', { x: message('{}') }, failure);
    });
  });

  it('reports an oversized line once, when it ends, and goes on with the next line', () => {
    testScheduler().run(({ cold, expectObservable }) => {
      const chunks$ = cold('-a-b-c|', {
        a: Buffer.from('{"x":"0123456789'),
        b: Buffer.from('0123456789"}\n{"o'),
        c: Buffer.from('k":1}\n'),
      });
      expectObservable(chunks$.pipe(frameNdjson({ maxMessageBytes: 16 }))).toBe('---x-y|', {
        x: { kind: 'oversized', bytes: 28 },
        y: message('{"ok":1}'),
      });
    });
  });
});

describe('frameNdjson (content)', () => {
  it('strips one trailing \\r (CRLF input) and keeps other \\r bytes', async () => {
    const frames = await frameAll([Buffer.from('{"a":1}\r\n{"b":"x\\r"}\r\r\n')]);
    expect(frames).toEqual([message('{"a":1}'), { kind: 'message', text: '{"b":"x\\r"}\r', bytes: 12 }]);
  });

  it('skips empty lines, including a lone \\r', async () => {
    const frames = await frameAll([Buffer.from('\n\r\n\n{"a":1}\n\n')]);
    expect(frames).toEqual([message('{"a":1}')]);
  });

  it('reassembles a message split into one-byte chunks, multi-byte characters included', async () => {
    const text = '{"text":"héllo wörld — 日本語 🎉"}';
    const bytes = Buffer.from(text + '\n' + text + '\r\n');
    const chunks = Array.from(bytes, (byte) => Buffer.from([byte]));
    expect(await frameAll(chunks)).toEqual([message(text), message(text)]);
  });

  it('frames many messages from one chunk', async () => {
    const lines = Array.from({ length: 10_000 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ping' }));
    const frames = await frameAll([Buffer.from(lines.join('\n') + '\n')]);
    expect(frames).toEqual(lines.map(message));
  });

  it('reports invalid UTF-8 as its own frame and keeps framing after it', async () => {
    const badLine = Buffer.concat([Buffer.from('{"a":"'), Buffer.from([0xc3, 0x28, 0xff]), Buffer.from('"}\n')]);
    // An overlong encoding of "/" and a lone surrogate half are invalid too.
    const overlong = Buffer.from([0xc0, 0xaf, 0x0a]);
    const surrogate = Buffer.from([0xed, 0xa0, 0x80, 0x0a]);
    const frames = await frameAll([badLine, overlong, surrogate, Buffer.from('{"ok":1}\n')]);
    expect(frames).toEqual([
      { kind: 'invalid_utf8' },
      { kind: 'invalid_utf8' },
      { kind: 'invalid_utf8' },
      message('{"ok":1}'),
    ]);
  });

  it('accepts a line of exactly the limit, with or without \\r, and rejects one byte more', async () => {
    const atLimit = '"' + 'a'.repeat(MAX_MESSAGE_BYTES - 2) + '"';
    const overLimit = '"' + 'a'.repeat(MAX_MESSAGE_BYTES - 1) + '"';
    const frames = await frameAll([Buffer.from(`${atLimit}\n${atLimit}\r\n${overLimit}\n{}\n`)]);
    expect(frames).toEqual([
      message(atLimit),
      message(atLimit),
      { kind: 'oversized', bytes: MAX_MESSAGE_BYTES + 1 },
      message('{}'),
    ]);
  });

  it('turns a 513 KiB line into one oversized frame, then frames the next line', async () => {
    const line = Buffer.alloc(513 * 1024, 'x');
    const chunks: Buffer[] = [];
    for (let offset = 0; offset < line.length; offset += 64 * 1024)
      chunks.push(line.subarray(offset, offset + 64 * 1024));
    chunks.push(Buffer.from('\n{"next":true}\n'));
    expect(await frameAll(chunks)).toEqual([{ kind: 'oversized', bytes: 513 * 1024 }, message('{"next":true}')]);
  });

  it('reports an oversized line that the input ends in the middle of', async () => {
    expect(await frameAll([Buffer.alloc(MAX_MESSAGE_BYTES + 10, 'x')])).toEqual([
      { kind: 'oversized', bytes: MAX_MESSAGE_BYTES + 10 },
    ]);
  });
});

describe('NdjsonFramer memory', () => {
  it('holds at most the limit plus one byte while discarding a 50 MiB line', () => {
    const framer = new NdjsonFramer();
    const frames: Frame[] = [];
    const emit = (frame: Frame): void => {
      frames.push(frame);
    };
    const chunk = Buffer.alloc(64 * 1024, 'z');
    let maxHeld = 0;
    for (let i = 0; i < 800; i++) {
      framer.push(chunk, emit);
      maxHeld = Math.max(maxHeld, framer.heldBytes);
    }
    framer.push(Buffer.from('\n{"after":1}\n'), emit);
    expect(maxHeld).toBeGreaterThan(0);
    expect(maxHeld).toBeLessThanOrEqual(MAX_MESSAGE_BYTES + 1);
    expect(framer.heldBytes).toBe(0);
    expect(frames).toEqual([{ kind: 'oversized', bytes: 50 * 1024 * 1024 }, message('{"after":1}')]);
  });
});
