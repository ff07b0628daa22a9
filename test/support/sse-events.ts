/** Reading a Server-Sent Events response in tests: one event at a time, its id and its JSON-RPC message. */

export type Message = {
  id?: unknown;
  method?: string;
  params?: Record<string, unknown>;
  result?: unknown;
  error?: { code?: number; message?: string; data?: unknown };
};

export interface SseEvent {
  readonly id: string | undefined;
  readonly message: Message | undefined;
}

/** Reads the events of an SSE response one at a time (ids, and messages when there is data); undefined at the end. */
export const sseEvents = (response: Response) => {
  const reader = (response.body as ReadableStream<Uint8Array>).pipeThrough(new TextDecoderStream()).getReader();
  let buffer = '';
  return {
    next: async (): Promise<SseEvent | undefined> => {
      for (;;) {
        const end = buffer.indexOf('\n\n');
        if (end !== -1) {
          const lines = buffer.slice(0, end).split('\n');
          buffer = buffer.slice(end + 2);
          const field = (name: string) =>
            lines
              .find((line) => line.startsWith(`${name}:`))
              ?.slice(name.length + 1)
              .trimStart();
          const id = field('id');
          const data = field('data');
          if (id === undefined && data === undefined) continue; // a comment (keep-alive)
          return { id, message: data === undefined || data === '' ? undefined : (JSON.parse(data) as Message) };
        }
        // A connection cut (the server killed) ends the stream like a normal end.
        const { value, done } = await reader.read().catch(() => ({ value: undefined, done: true as const }));
        if (done) return undefined;
        buffer += value;
      }
    },
    cancel: () => reader.cancel(),
  };
};
