import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { MAX_MESSAGE_BYTES, StdioTransport } from '../../src/transport/index.js';
import { waitUntil, writeRespectingBackpressure } from './stream-helpers.js';

const echoServer = fileURLToPath(new URL('./fixtures/echo-over-stdio.ts', import.meta.url));

describe('StdioTransport over a real child process', () => {
  it('frames stdin, echoes through stdout line by line, and flushes everything when stdin closes', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', echoServer], { stdio: ['pipe', 'pipe', 'inherit'] });
    const stdout: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => stdout.push(chunk));

    const many = Array.from({ length: 5000 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, method: 'ping' }));
    const input = [
      Buffer.from('{"crlf":true}\r\n\r\n'),
      Buffer.from([0xff, 0xfe, 0x0a]),
      Buffer.alloc(MAX_MESSAGE_BYTES + 100, 'o'),
      Buffer.from('\n{"after":"oversized"}\n'),
      Buffer.from(many.join('\n') + '\n'),
      Buffer.from('{"unterminated":'),
      Buffer.from('"last"}'),
    ];
    await writeRespectingBackpressure(child.stdin, input);
    child.stdin.end();
    const [exitCode] = await once(child, 'exit');
    expect(exitCode).toBe(0);

    const lines = Buffer.concat(stdout).toString('utf8').split('\n');
    expect(lines.pop()).toBe('');
    expect(lines.map((line) => JSON.parse(line))).toEqual([
      { echo: '{"crlf":true}' },
      { frame: { kind: 'invalid_utf8' } },
      { frame: { kind: 'oversized', bytes: MAX_MESSAGE_BYTES + 100 } },
      { echo: '{"after":"oversized"}' },
      ...many.map((text) => ({ echo: text })),
      { echo: '{"unterminated":"last"}' },
    ]);
  });
});

describe('StdioTransport in process', () => {
  it('refuses a second start(), and sends nothing after close()', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const transport = new StdioTransport(input, output);
    const frames: unknown[] = [];
    let completed = false;
    transport.inbound$.subscribe({ next: (frame) => frames.push(frame), complete: () => (completed = true) });
    transport.start();
    expect(() => transport.start()).toThrow(/twice/);
    input.write('{"a":1}\n');
    await waitUntil(() => frames.length === 1);
    await transport.send({ ok: true });
    await transport.close();
    expect(completed).toBe(true);
    expect(frames).toEqual([{ kind: 'message', text: '{"a":1}', bytes: 7 }]);
    expect(output.read()?.toString()).toBe('{"ok":true}\n');
    await expect(transport.send({ late: true })).rejects.toThrow(/closed/);
  });
});
