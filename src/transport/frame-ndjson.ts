import { Observable, type OperatorFunction } from 'rxjs';
import type { Frame, FramingOptions } from './frame.js';
import { NdjsonFramer } from './ndjson-framer.js';

/** RxJS operator: stdin chunks in, NDJSON frames out (see NdjsonFramer for the rules). */
export const frameNdjson =
  (options: FramingOptions = {}): OperatorFunction<Buffer, Frame> =>
  (chunks$) =>
    new Observable<Frame>((subscriber) => {
      const framer = new NdjsonFramer(options);
      const emit = (frame: Frame): void => subscriber.next(frame);
      return chunks$.subscribe({
        next: (chunk) => framer.push(chunk, emit),
        error: (error: unknown) => subscriber.error(error),
        complete: () => {
          framer.end(emit);
          subscriber.complete();
        },
      });
    });
