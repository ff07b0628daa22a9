/** Latency percentiles of the load benchmarks. */

/** Nearest-rank percentile of ascending values (p in 0..1); NaN when there are none. */
export const nearestRank = (sorted: ArrayLike<number>, p: number): number =>
  sorted.length === 0
    ? Number.NaN
    : sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(p * sorted.length) - 1))]!;

export interface LatencySummary {
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly maxMs: number;
}

/** p50, p99 and max, in milliseconds, of latencies recorded in nanoseconds. */
export const summarizeLatencies = (latenciesNs: readonly number[]): LatencySummary => {
  const sorted = Float64Array.from(latenciesNs).sort();
  return {
    p50Ms: nearestRank(sorted, 0.5) / 1e6,
    p99Ms: nearestRank(sorted, 0.99) / 1e6,
    maxMs: (sorted.length === 0 ? Number.NaN : sorted[sorted.length - 1]!) / 1e6,
  };
};
