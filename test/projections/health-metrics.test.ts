import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEGRADED_ERROR_RATE,
  healthMetricsProjection,
  healthReport,
  healthStatusOf,
  UNHEALTHY_ERROR_RATE,
} from '../../src/projections/health-metrics.js';
import {
  bucketOf,
  bucketUpperBoundMs,
  emptyHistogram,
  HISTOGRAM_BUCKETS_PER_DOUBLING,
  HISTOGRAM_MIN_MS,
  quantileMs,
  recordDuration,
} from '../../src/projections/latency-histogram.js';
import { foldRecorded } from '../../src/projections/projection.js';
import { recordedLog } from './support/recorded-log.js';

const S1 = 'session-1';

/** `total` requests of `method`, the first `errors` of them failing. */
const requests = (log: ReturnType<typeof recordedLog>, method: string, total: number, errors: number, firstId = 0) => {
  for (let n = 0; n < total; n++) {
    const requestId = firstId + n;
    log.record(S1, { type: 'RequestReceived', data: { requestId, method } });
    if (n < errors)
      log.record(S1, { type: 'RequestFailed', data: { requestId, code: -32603, message: 'x', durationMs: 10 } });
    else log.record(S1, { type: 'RequestCompleted', data: { requestId, durationMs: 10 } });
  }
};

describe('the health metrics projection', () => {
  it('counts outcomes, response times and per-method error rates', () => {
    const log = recordedLog();
    log.record(S1, { type: 'RequestReceived', data: { requestId: 1, method: 'tools/call' } });
    log.record(S1, { type: 'RequestReceived', data: { requestId: 2, method: 'tools/call' } });
    log.record(S1, { type: 'RequestReceived', data: { requestId: 3, method: 'ping' } });
    log.record(S1, { type: 'RequestReceived', data: { requestId: 4, method: 'ping' } });
    log.record(S1, { type: 'RequestCompleted', data: { requestId: 1, durationMs: 2 } });
    log.record(S1, { type: 'RequestTimedOut', data: { requestId: 2, ttlMs: 60_000, ageMs: 60_010 } });
    log.record(S1, { type: 'RequestCompleted', data: { requestId: 3, durationMs: 4 } });
    log.record(S1, { type: 'RequestCancelled', data: { requestId: 4, reason: 'client' } });
    // Outcomes of requests never received (or already ended) change nothing.
    log.record(S1, { type: 'RequestCompleted', data: { requestId: 99, durationMs: 1 } });

    const report = healthReport(foldRecorded(healthMetricsProjection, log.events));
    expect(report).toMatchObject({
      requestsTotal: 3,
      requestsSuccess: 2,
      requestsError: 1,
      requestsCancelled: 1,
      meanResponseMs: (2 + 60_010 + 4) / 3,
      methods: { 'tools/call': { total: 2, errors: 1, errorRate: 0.5 }, ping: { total: 1, errors: 0, errorRate: 0 } },
      status: 'unhealthy',
    });
    expect(report.p50ResponseMs).toBeGreaterThanOrEqual(4);
    expect(report.p50ResponseMs).toBeLessThan(4 * 1.1);
    expect(report.p99ResponseMs).toBeGreaterThanOrEqual(60_010);
    expect(report.p99ResponseMs).toBeLessThan(60_010 * 1.1);
  });

  it('reports healthy at 5% errors, degraded above, unhealthy above 10%', () => {
    const status = (errors: number) => {
      const log = recordedLog();
      requests(log, 'tools/call', 100, errors);
      return healthReport(foldRecorded(healthMetricsProjection, log.events)).status;
    };
    expect(status(0)).toBe('healthy');
    expect(status(5)).toBe('healthy');
    expect(status(6)).toBe('degraded');
    expect(status(10)).toBe('degraded');
    expect(status(11)).toBe('unhealthy');
    expect(healthStatusOf(DEGRADED_ERROR_RATE)).toBe('healthy');
    expect(healthStatusOf(UNHEALTHY_ERROR_RATE)).toBe('degraded');
  });

  it('is healthy with no traffic, and has no response times yet', () => {
    expect(healthReport(healthMetricsProjection.initialState())).toMatchObject({
      status: 'healthy',
      meanResponseMs: undefined,
      p50ResponseMs: undefined,
    });
  });
});

describe('the latency histogram', () => {
  it('puts durations in fixed, ordered buckets', () => {
    expect(bucketOf(0)).toBe(0);
    expect(bucketOf(HISTOGRAM_MIN_MS)).toBe(0);
    expect(bucketOf(HISTOGRAM_MIN_MS * 2)).toBe(1 + HISTOGRAM_BUCKETS_PER_DOUBLING);
    expect(bucketOf(1e12)).toBe(bucketOf(1e13));
  });

  it('answers a quantile no lower than the true one and at most one bucket (≈9%) higher', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: 0.02, max: 1e6, noNaN: true }), { minLength: 1, maxLength: 200 }),
        fc.double({ min: 0.01, max: 1, noNaN: true }),
        (durations, q) => {
          const histogram = emptyHistogram();
          for (const duration of durations) recordDuration(histogram, duration);
          const sorted = [...durations].sort((a, b) => a - b);
          const truth = sorted[Math.max(1, Math.ceil(q * sorted.length)) - 1]!;
          const estimate = quantileMs(histogram, q)!;
          // A duration on a bucket boundary may land a rounding error below it: allow for that.
          expect(estimate).toBeGreaterThanOrEqual(truth * (1 - 1e-12));
          expect(estimate).toBeLessThanOrEqual(truth * 2 ** (1 / HISTOGRAM_BUCKETS_PER_DOUBLING) * (1 + 1e-12));
          expect(estimate).toBe(bucketUpperBoundMs(bucketOf(truth)));
        },
      ),
    );
  });
});
