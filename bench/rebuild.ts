/**
 * Rebuilding every projection from the log: generates a store of N events (default 1,000,000) shaped
 * like real traffic (per request: RequestReceived, FundsReserved, ToolCallSucceeded, ToolCallCharged,
 * RequestCompleted; 20 agents), then measures, in the same run:
 *   - the baseline: reading the whole log (`readAll`) and doing nothing with it;
 *   - rebuilding all four projections in one pass (combineProjections, runProjection from 0): what
 *     `apex replay --rebuild` does before comparing;
 *   - verifying every hash chain and the heads digest (what `apex verify` does);
 * and prints events/s and the peak RSS. Figures only, no assertions.
 *
 *   npx tsx bench/rebuild.ts [events]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DomainEvent, encodeEvent } from '../src/domain/events.js';
import { apx } from '../src/domain/money.js';
import {
  balancesProjection,
  combineProjections,
  createInMemoryCheckpointStore,
  healthMetricsProjection,
  requestRegistryProjection,
  runProjection,
  toolUsageProjection,
} from '../src/projections/index.js';
import type { NewEvent } from '../src/store/event-store.js';
import { openSqliteStore } from '../src/store/sqlite/index.js';
import { verifyChain } from '../src/store/verify.js';

const TOTAL = Number(process.argv[2] ?? 1_000_000);
const AGENTS = 20;
const REQUESTS_PER_BATCH = 50;

const dir = mkdtempSync(join(tmpdir(), 'apex-rebuild-'));
const store = openSqliteStore({ path: join(dir, 'events.db'), durability: 'normal' });

const newEvent = (event: DomainEvent, agent: string): NewEvent => ({
  ...encodeEvent(event),
  metadata: { agent, timestamp: new Date().toISOString() },
});

const generate = async (): Promise<number> => {
  const agents = Array.from({ length: AGENTS }, (_, index) => `agent${index}`);
  let written = 0;
  for (const agent of agents) {
    await store.append(`agent-${agent}`, 'no_stream', [
      newEvent(
        {
          type: 'AgentRegistered',
          data: { agentId: agent, name: agent, role: 'bench', systemPrompt: '', permissions: [], debtLimit: 0n },
        },
        agent,
      ),
      newEvent(
        {
          type: 'FundsCredited',
          data: { amount: apx('1000000000'), reason: 'bench', from: 'system-bank', to: `agent-${agent}` },
        },
        agent,
      ),
    ]);
    await store.append(`session-${agent}`, 'no_stream', [
      newEvent({ type: 'SessionStarted', data: { transport: 'stdio', agent } }, agent),
    ]);
    written += 3;
  }
  let requestId = 0;
  while (written < TOTAL) {
    const appends: Promise<unknown>[] = [];
    for (const agent of agents) {
      const session: NewEvent[] = [];
      const ledger: NewEvent[] = [];
      for (let k = 0; k < REQUESTS_PER_BATCH; k++) {
        const id = requestId++;
        const correlationId = `${agent}:${id}`;
        session.push(
          newEvent(
            {
              type: 'RequestReceived',
              data: { requestId: id, method: 'tools/call', params: { name: 'echo', arguments: { message: 'hello' } } },
            },
            agent,
          ),
        );
        ledger.push(
          newEvent(
            {
              type: 'FundsReserved',
              data: { reservationId: `r${id}`, tool: 'echo', amount: apx('0.01'), correlationId },
            },
            agent,
          ),
        );
        session.push(
          newEvent({ type: 'ToolCallSucceeded', data: { requestId: id, tool: 'echo', durationMs: 0.2 } }, agent),
        );
        ledger.push(
          newEvent(
            {
              type: 'ToolCallCharged',
              data: {
                reservationId: `r${id}`,
                tool: 'echo',
                amount: apx('0.01'),
                reservedAmount: apx('0.01'),
                durationMs: 0.2,
                correlationId,
                from: `agent-${agent}`,
                to: 'system-bank',
              },
            },
            agent,
          ),
        );
        session.push(newEvent({ type: 'RequestCompleted', data: { requestId: id, durationMs: 0.9 } }, agent));
      }
      appends.push(store.append(`session-${agent}`, 'any', session), store.append(`agent-${agent}`, 'any', ledger));
      written += 5 * REQUESTS_PER_BATCH;
    }
    await Promise.all(appends);
  }
  return written;
};

const seconds = (since: number) => (performance.now() - since) / 1000;
const rate = (events: number, secs: number) => `${Math.round(events / secs).toLocaleString('en')} events/s`;

let started = performance.now();
const written = await generate();
console.log(`generated ${written.toLocaleString('en')} events in ${seconds(started).toFixed(1)} s`);

started = performance.now();
let read = 0;
for await (const _event of store.readAll()) read += 1;
const readSecs = seconds(started);
console.log(`baseline  readAll only:               ${readSecs.toFixed(2)} s  (${rate(read, readSecs)})`);

const all = combineProjections({
  balances: balancesProjection,
  registry: requestRegistryProjection,
  health: healthMetricsProjection,
  tools: toolUsageProjection,
});
started = performance.now();
const running = runProjection(store, all, createInMemoryCheckpointStore());
await running.caughtUp;
const rebuildSecs = seconds(started);
console.log(`rebuild   4 projections, one pass:    ${rebuildSecs.toFixed(2)} s  (${rate(read, rebuildSecs)})`);
await running.stop();

started = performance.now();
const report = await verifyChain(store);
const verifySecs = seconds(started);
console.log(
  `verify    every chain + heads digest:  ${verifySecs.toFixed(2)} s  (${rate(read, verifySecs)}) ${report.ok ? 'ok' : 'BROKEN'}`,
);
console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
await store.close();
rmSync(dir, { recursive: true, force: true });
