/** Parsing of the load benchmarks' command-line values; a bad value is an error that names the flag. */

/** `1,8,64` → [1, 8, 64]: positive integers, comma-separated. */
export const parseList = (value: string, what: string): number[] =>
  value.split(',').map((item) => {
    const n = Number(item.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`--${what}: ${JSON.stringify(item)} is not a positive integer`);
    return n;
  });

export const parsePositive = (value: string, what: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${what}: ${JSON.stringify(value)} is not a positive number`);
  return n;
};
