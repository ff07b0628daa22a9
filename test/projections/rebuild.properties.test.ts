import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { balancesProjection } from '../../src/projections/balances.js';
import { combineProjections } from '../../src/projections/combine.js';
import { healthMetricsProjection } from '../../src/projections/health-metrics.js';
import { foldRecorded, type Projection } from '../../src/projections/projection.js';
import { requestRegistryProjection } from '../../src/projections/request-registry.js';
import { toolUsageProjection } from '../../src/projections/tool-usage.js';
import { arbitraryLog } from './support/arbitrary-log.js';

const allFour = combineProjections({
  balances: balancesProjection,
  requests: requestRegistryProjection,
  health: healthMetricsProjection,
  tools: toolUsageProjection,
});

const PROJECTIONS = [
  balancesProjection,
  requestRegistryProjection,
  healthMetricsProjection,
  toolUsageProjection,
  allFour,
] as Projection<unknown>[];

describe('combineProjections', () => {
  it('folds each part exactly as the part alone would', () => {
    fc.assert(
      fc.property(arbitraryLog(), (events) => {
        const combined = foldRecorded(allFour, events);
        expect(balancesProjection.serialize(combined.balances)).toBe(
          balancesProjection.serialize(foldRecorded(balancesProjection, events)),
        );
        expect(healthMetricsProjection.serialize(combined.health)).toBe(
          healthMetricsProjection.serialize(foldRecorded(healthMetricsProjection, events)),
        );
        expect(requestRegistryProjection.serialize(combined.requests)).toBe(
          requestRegistryProjection.serialize(foldRecorded(requestRegistryProjection, events)),
        );
        expect(toolUsageProjection.serialize(combined.tools)).toBe(
          toolUsageProjection.serialize(foldRecorded(toolUsageProjection, events)),
        );
      }),
      { numRuns: 60 },
    );
  });
});

describe.each(PROJECTIONS.map((projection) => [projection.name, projection] as const))('%s', (_name, projection) => {
  it('rebuilds to exactly the live state across a serialized checkpoint', () => {
    fc.assert(
      fc.property(arbitraryLog(), fc.nat(), (events, cut) => {
        const split = events.length === 0 ? 0 : cut % (events.length + 1);
        const live = foldRecorded(projection, events);

        const resumed = projection.deserialize(projection.serialize(foldRecorded(projection, events.slice(0, split))));
        for (const event of events.slice(split)) projection.evolveInPlace(resumed, event);

        expect(projection.serialize(resumed)).toBe(projection.serialize(live));
        expect(resumed).toEqual(live);
      }),
      { numRuns: 150 },
    );
  });

  it('folds the same through the pure evolve, leaving every earlier state as it was', () => {
    fc.assert(
      fc.property(arbitraryLog(40), (events) => {
        let state = projection.initialState();
        const history: [unknown, string][] = [];
        for (const event of events) {
          history.push([state, projection.serialize(state)]);
          state = projection.evolve(state, event);
        }
        for (const [earlier, serialized] of history) expect(projection.serialize(earlier)).toBe(serialized);
        expect(projection.serialize(state)).toBe(projection.serialize(foldRecorded(projection, events)));
      }),
      { numRuns: 60 },
    );
  });

  it('hands out clones that later events do not change', () => {
    fc.assert(
      fc.property(arbitraryLog(60), fc.nat(), (events, cut) => {
        const split = events.length === 0 ? 0 : cut % (events.length + 1);
        const working = foldRecorded(projection, events.slice(0, split));
        const snapshot = projection.clone(working);
        const serialized = projection.serialize(snapshot);
        for (const event of events.slice(split)) projection.evolveInPlace(working, event);
        expect(projection.serialize(snapshot)).toBe(serialized);
      }),
      { numRuns: 60 },
    );
  });
});
