import fc from 'fast-check';
import * as E from 'fp-ts/lib/Either.js';
import { describe, expect, it } from 'vitest';
import { ApxAmount, apx, formatApx, NonNegativeApxAmount, parseApx, toolCallCost } from '../../src/domain/money.js';

describe('parseApx', () => {
  it.each([
    ['12.5', 12_500_000n],
    ['0.000001', 1n],
    ['-5', -5_000_000n],
    ['007.10', 7_100_000n],
    [12.5, 12_500_000n],
    [0.1, 100_000n],
    [-0.000001, -1n],
    [123456789, 123_456_789_000_000n],
  ])('reads %j as %s µAPX', (input, expected) => {
    expect(parseApx(input)).toEqual(E.right(expected));
  });

  it.each([
    '0.0000001',
    '1e3',
    '1E3',
    ' 1',
    '1 ',
    '+1',
    '.5',
    '5.',
    '',
    '1,5',
    'NaN',
    'Infinity',
    '0x10',
    '1'.repeat(41),
  ])('refuses the string %j', (input) => {
    expect(E.isLeft(parseApx(input))).toBe(true);
  });

  it.each([Number.NaN, Number.POSITIVE_INFINITY, 1e21, 1e-7, 0.1 + 0.2, null, true, {}, 10n])('refuses %s', (input) => {
    expect(E.isLeft(parseApx(input))).toBe(true);
  });
});

describe('formatApx', () => {
  it.each([
    [12_500_000n, '12.500000'],
    [-5_000_000n, '-5.000000'],
    [1n, '0.000001'],
    [-1n, '-0.000001'],
    [0n, '0.000000'],
  ])('writes %s µAPX as %s', (micro, text) => {
    expect(formatApx(micro)).toBe(text);
  });

  it('round-trips through parseApx for any amount', () => {
    fc.assert(
      fc.property(fc.bigInt({ min: -(10n ** 20n), max: 10n ** 20n }), (micro) => {
        expect(parseApx(formatApx(micro))).toEqual(E.right(micro));
      }),
    );
  });
});

describe('ApxAmount codec', () => {
  it('decodes strings and numbers into bigint and encodes to a six-decimal string', () => {
    expect(ApxAmount.decode('1.25')).toEqual(E.right(1_250_000n));
    expect(ApxAmount.decode(2)).toEqual(E.right(2_000_000n));
    expect(ApxAmount.encode(-3_000_000n)).toBe('-3.000000');
    expect(E.isLeft(ApxAmount.decode('1e2'))).toBe(true);
  });

  it('NonNegativeApxAmount refuses negative amounts', () => {
    expect(E.isLeft(NonNegativeApxAmount.decode('-0.000001'))).toBe(true);
    expect(NonNegativeApxAmount.decode('0')).toEqual(E.right(0n));
  });
});

describe('toolCallCost', () => {
  const price = { perCall: apx('0.5'), perSecond: apx('0.000003') };

  it('is the fee per call plus the fee per second, rounded up to the micro-APX', () => {
    // 0.000003 APX/s × 1.001 s = 0.000003003 → 0.000004
    expect(toolCallCost(price, 1001)).toBe(apx('0.500004'));
    expect(toolCallCost(price, 1000)).toBe(apx('0.500003'));
    expect(toolCallCost(price, 0)).toBe(apx('0.5'));
  });

  it('rounds a fractional duration up to the whole millisecond', () => {
    expect(toolCallCost({ perCall: 0n, perSecond: apx('1') }, 1.2)).toBe(apx('0.002'));
  });

  it('refuses a negative or non-finite duration (a bug in the caller)', () => {
    expect(() => toolCallCost(price, -1)).toThrow(RangeError);
    expect(() => toolCallCost(price, Number.NaN)).toThrow(RangeError);
  });
});
