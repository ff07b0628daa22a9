export { type AsOf, evaluateAsOf } from './as-of.js';
export {
  type AgentLedgerView,
  type AgentStatus,
  type BalancesState,
  type BankView,
  balancesProjection,
  bankOf,
  ledgerOf,
} from './balances.js';
export { type Checkpoint, type CheckpointStore, createInMemoryCheckpointStore } from './checkpoint-store.js';
export { combineProjections } from './combine.js';
export {
  DEGRADED_ERROR_RATE,
  type HealthMetricsState,
  type HealthReport,
  type HealthStatus,
  healthMetricsProjection,
  healthReport,
  healthStatusOf,
  UNHEALTHY_ERROR_RATE,
} from './health-metrics.js';
export {
  type IncidentKind,
  type IncidentsState,
  type IncidentView,
  incidentCounts,
  incidentsProjection,
} from './incidents.js';
export { decodeRecorded, defineProjection, foldRecorded, type Projection, UndecodableEvent } from './projection.js';
export {
  type ActiveRequestView,
  activeRequests,
  expiredRequests,
  RECENT_TIMEOUTS_KEPT,
  type RequestRegistryState,
  requestRegistryProjection,
  type TimedOutRequestView,
} from './request-registry.js';
export {
  checkpointNameOf,
  DEFAULT_CHECKPOINT_EVERY,
  ProjectionStopped,
  type RunningProjection,
  type RunProjectionOptions,
  runProjection,
} from './runner.js';
export {
  agentToolStatsOf,
  type ToolStats,
  type ToolUsageState,
  toolStatsOf,
  toolUsageProjection,
} from './tool-usage.js';
