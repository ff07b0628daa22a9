import type { ServerResponse } from 'node:http';

/** Headers every SSE response carries; `no-transform` and `X-Accel-Buffering` stop proxies from buffering it. */
export const SSE_HEADERS = {
  'Content-Type': 'text/event-stream',
  'Cache-Control': 'no-cache, no-transform',
  Connection: 'keep-alive',
  'X-Accel-Buffering': 'no',
} as const;

/**
 * One Server-Sent Events stream on an HTTP response: `message` events carrying one JSON value
 * each, comment frames as keep-alives, and a close signal. Knows nothing of MCP.
 */
export class SseWriter {
  private ended = false;
  private readonly keepAlive: NodeJS.Timeout;
  private readonly closeListeners: (() => void)[] = [];

  constructor(
    private readonly response: ServerResponse,
    headers: Readonly<Record<string, string>>,
    keepAliveMs: number,
  ) {
    response.writeHead(200, { ...SSE_HEADERS, ...headers });
    // Headers go out at once, so the client knows the stream is open before the first event.
    response.flushHeaders();
    response.on('close', () => this.finish());
    this.keepAlive = setInterval(() => this.write(': keepalive\n\n'), keepAliveMs);
    this.keepAlive.unref();
  }

  /** False once the stream has ended, from either side. */
  get isOpen(): boolean {
    return !this.ended;
  }

  /** Writes one `message` event; `id` becomes the event id a client may resume from. False if the stream is gone. */
  send(message: unknown, id?: string): boolean {
    // JSON.stringify escapes line breaks, so the value always fits on one `data:` line.
    const idLine = id === undefined ? '' : `id: ${id}\n`;
    return this.write(`event: message\n${idLine}data: ${JSON.stringify(message)}\n\n`);
  }

  /** An event with an id and no data: tells the client where it may resume from, before anything else is sent. */
  prime(id: string, retryMs?: number): boolean {
    const retryLine = retryMs === undefined ? '' : `retry: ${retryMs}\n`;
    return this.write(`id: ${id}\n${retryLine}data: \n\n`);
  }

  /** Ends the stream (idempotent). */
  end(): void {
    if (this.ended) return;
    this.response.end();
    this.finish();
  }

  onClose(listener: () => void): void {
    if (this.ended) listener();
    else this.closeListeners.push(listener);
  }

  private write(frame: string): boolean {
    if (this.ended || this.response.destroyed) return false;
    // A slow reader only makes Node buffer more: MCP messages on one stream are few and small.
    this.response.write(frame);
    return true;
  }

  private finish(): void {
    clearInterval(this.keepAlive);
    this.ended = true;
    for (const listener of this.closeListeners.splice(0)) listener();
  }
}
