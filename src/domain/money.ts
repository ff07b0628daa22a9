import * as E from 'fp-ts/lib/Either.js';
import * as t from 'io-ts';

/**
 * Money is an integer number of micro-APX (1 APX = 1,000,000 µAPX) held in a bigint, so
 * sums are exact and never drift. Outside the process it is a decimal string with exactly
 * six decimals ("12.500000"); numbers are accepted on input only through their decimal form.
 */
export type MicroApx = bigint;

export const MICRO_APX_PER_APX = 1_000_000n;
export const APX_DECIMALS = 6;

/** Long enough for any realistic amount, short enough that parsing can't be made slow. */
const MAX_AMOUNT_TEXT_LENGTH = 40;
const DECIMAL_AMOUNT = /^(-?)(\d+)(?:\.(\d{1,6}))?$/;

/**
 * Parses "12.5", "-3", "0.000001" or the JSON number 12.5 into micro-APX. Refuses more than six
 * decimals, exponents ("1e3"), NaN, Infinity and anything else that is not a plain decimal.
 */
export const parseApx = (input: unknown): E.Either<string, MicroApx> => {
  let text: string;
  if (typeof input === 'number') {
    if (!Number.isFinite(input)) return E.left(`an APX amount must be a finite number, got ${String(input)}`);
    // String() gives the shortest decimal that round-trips, so 12.5 stays "12.5" and 0.1+0.2 is caught below.
    text = String(input);
  } else if (typeof input === 'string') {
    text = input;
  } else {
    return E.left(`an APX amount must be a decimal string or a number, got ${typeof input}`);
  }
  if (text.length > MAX_AMOUNT_TEXT_LENGTH) return E.left('an APX amount has at most 40 characters');
  const match = DECIMAL_AMOUNT.exec(text);
  if (match === null) {
    return E.left(
      `"${text}" is not an APX amount: write a plain decimal with at most ${APX_DECIMALS} decimals, like "12.5"`,
    );
  }
  const [, sign, whole, fraction = ''] = match;
  const micro = BigInt(whole ?? '0') * MICRO_APX_PER_APX + BigInt(fraction.padEnd(APX_DECIMALS, '0'));
  return E.right(sign === '-' ? -micro : micro);
};

/** Formats micro-APX as a decimal string with exactly six decimals: 12500000n → "12.500000". */
export const formatApx = (micro: MicroApx): string => {
  const negative = micro < 0n;
  const magnitude = negative ? -micro : micro;
  const whole = magnitude / MICRO_APX_PER_APX;
  const fraction = (magnitude % MICRO_APX_PER_APX).toString().padStart(APX_DECIMALS, '0');
  return `${negative ? '-' : ''}${whole}.${fraction}`;
};

/** For constants and tests: parses a literal amount, throwing on a malformed literal (a bug). */
export const apx = (literal: string | number): MicroApx => {
  const parsed = parseApx(literal);
  if (E.isLeft(parsed)) throw new Error(parsed.left);
  return parsed.right;
};

/** io-ts codec: decimal string or JSON number on the wire, bigint micro-APX inside, string on output. */
export const ApxAmount = new t.Type<MicroApx, string, unknown>(
  'ApxAmount',
  (u): u is MicroApx => typeof u === 'bigint',
  (u, context) => {
    const parsed = parseApx(u);
    return E.isRight(parsed) ? t.success(parsed.right) : t.failure(u, context, parsed.left);
  },
  formatApx,
);

/** An amount that may not be negative (prices, reservations, charges, credits, limits). */
export const NonNegativeApxAmount = new t.Type<MicroApx, string, unknown>(
  'NonNegativeApxAmount',
  (u): u is MicroApx => typeof u === 'bigint' && u >= 0n,
  (u, context) => {
    const parsed = parseApx(u);
    if (E.isLeft(parsed)) return t.failure(u, context, parsed.left);
    return parsed.right >= 0n ? t.success(parsed.right) : t.failure(u, context, 'the amount may not be negative');
  },
  formatApx,
);

/** What a tool costs: a fixed fee per call plus a fee per second of run time. */
export interface ToolPrice {
  readonly perCall: MicroApx;
  readonly perSecond: MicroApx;
}

const MILLISECONDS_PER_SECOND = 1000n;

/**
 * perCall + perSecond × duration, rounded up to the next micro-APX. The duration is first
 * rounded up to a whole millisecond (Math.ceil of a double is exact); the rest is bigint.
 */
export const toolCallCost = (price: ToolPrice, durationMs: number): MicroApx => {
  if (!Number.isFinite(durationMs) || durationMs < 0) {
    throw new RangeError(`toolCallCost needs a finite, non-negative duration, got ${durationMs}`);
  }
  const wholeMs = BigInt(Math.ceil(durationMs));
  const timeCost = price.perSecond * wholeMs;
  const roundedUp = (timeCost + MILLISECONDS_PER_SECOND - 1n) / MILLISECONDS_PER_SECOND;
  return price.perCall + roundedUp;
};
