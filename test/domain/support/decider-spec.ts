import * as E from 'fp-ts/lib/Either.js';
import { expect } from 'vitest';
import { type Decider, foldEvents } from '../../../src/domain/decider.js';
import type { DomainError, DomainErrorCode } from '../../../src/domain/errors.js';

/** What a refusal should look like: its code, and optionally part of its details. */
export interface ExpectedRefusal {
  readonly code: DomainErrorCode;
  readonly details?: Readonly<Record<string, unknown>>;
}

/**
 * Specifications in the Emmett style:
 *   given([...past events]).when(command).then([...new events])
 *   given([...past events]).when(command).then({ code: 'INSUFFICIENT_FUNDS' })
 */
export const deciderSpec =
  <Command, Event, State>(decider: Decider<Command, Event, State>) =>
  (history: readonly Event[]) => ({
    when: (command: Command) => {
      const decision = decider.decide(command, foldEvents(decider, history));
      return {
        // biome-ignore lint/suspicious/noThenProperty: given/when/then is the spec's vocabulary; this object is never awaited.
        then: (expected: readonly Event[] | ExpectedRefusal): void => {
          if (Array.isArray(expected)) {
            if (E.isLeft(decision)) throw new Error(`expected events, got refusal ${JSON.stringify(decision.left)}`);
            expect(decision.right).toEqual(expected);
            return;
          }
          const refusal = expected as ExpectedRefusal;
          if (E.isRight(decision)) {
            throw new Error(`expected refusal ${refusal.code}, got events ${show(decision.right)}`);
          }
          const error: DomainError = decision.left;
          expect(error.code).toBe(refusal.code);
          // A refusal must tell the user what to do next, not just name itself.
          expect(error.message.length).toBeGreaterThan(20);
          if (refusal.details !== undefined) expect(error.details).toMatchObject(refusal.details);
        },
      };
    },
  });

const show = (events: readonly unknown[]): string =>
  JSON.stringify(events, (_key, value) => (typeof value === 'bigint' ? `${value}n` : value));
