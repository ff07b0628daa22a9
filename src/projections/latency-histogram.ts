/**
 * A log-bucketed latency histogram: fixed bucket boundaries, integer counts. Folding the same
 * events always fills the same buckets, so a rebuilt projection reports exactly what the live
 * one did (a sampling estimator would not). Relative error ≤ 2^(1/8) − 1 ≈ 9%.
 */

/** Durations up to this many ms share bucket 0. */
export const HISTOGRAM_MIN_MS = 0.01;
export const HISTOGRAM_BUCKETS_PER_DOUBLING = 8;
/** 32 doublings above 0.01 ms reach about 12 hours; longer durations share the last bucket. */
export const HISTOGRAM_BUCKET_COUNT = 1 + 32 * HISTOGRAM_BUCKETS_PER_DOUBLING;

export type LatencyHistogram = number[];

export const emptyHistogram = (): LatencyHistogram => new Array<number>(HISTOGRAM_BUCKET_COUNT).fill(0);

export const bucketOf = (durationMs: number): number => {
  if (!(durationMs > HISTOGRAM_MIN_MS)) return 0;
  const bucket = 1 + Math.floor(Math.log2(durationMs / HISTOGRAM_MIN_MS) * HISTOGRAM_BUCKETS_PER_DOUBLING);
  return Math.min(bucket, HISTOGRAM_BUCKET_COUNT - 1);
};

/** The largest duration a bucket holds (its upper boundary). */
export const bucketUpperBoundMs = (bucket: number): number =>
  HISTOGRAM_MIN_MS * 2 ** (bucket / HISTOGRAM_BUCKETS_PER_DOUBLING);

export const recordDuration = (histogram: LatencyHistogram, durationMs: number): void => {
  const bucket = bucketOf(durationMs);
  histogram[bucket] = (histogram[bucket] ?? 0) + 1;
};

/**
 * The q-quantile (0 < q ≤ 1) as the upper boundary of the bucket holding the ⌈q·n⌉-th smallest
 * duration: never below the true quantile, at most one bucket above. Undefined when empty.
 */
export const quantileMs = (histogram: LatencyHistogram, q: number): number | undefined => {
  let total = 0;
  for (const count of histogram) total += count;
  if (total === 0) return undefined;
  const rank = Math.max(1, Math.ceil(q * total));
  let seen = 0;
  for (let bucket = 0; bucket < histogram.length; bucket++) {
    seen += histogram[bucket] ?? 0;
    if (seen >= rank) return bucketUpperBoundMs(bucket);
  }
  return bucketUpperBoundMs(histogram.length - 1);
};
