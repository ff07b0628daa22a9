/**
 * Error names. The seed's APEX names (§6) are the ones a client sees as JSON-RPC error codes
 * (their numbers live with the protocol, in src/protocol); the domain-only names describe
 * refusals the server maps onto those codes or onto standard JSON-RPC errors.
 */
export const APEX_ERROR_NAMES = [
  // economic
  'FISCAL_INSOLVENCY',
  'INSUFFICIENT_FUNDS',
  'BOND_REQUIRED',
  'DEBT_LIMIT_EXCEEDED',
  // security
  'SANDBOX_ESCAPE_ATTEMPT',
  'PERMISSION_DENIED',
  'AST_VIOLATION',
  'REGEX_VIOLATION',
  // system
  'Z3_VERIFICATION_FAILURE',
  'CONTEXT_WINDOW_EXCEEDED',
  'PERSONA_CORRUPTION',
  'MEMORY_ERROR',
  // agent
  'AGENT_NOT_FOUND',
  'AGENT_BANKRUPT',
  'AGENT_SUSPENDED',
  'AGENT_OVERLOADED',
] as const;

export type ApexErrorName = (typeof APEX_ERROR_NAMES)[number];

export const DOMAIN_ONLY_ERROR_NAMES = [
  'INVALID_AMOUNT',
  'INVALID_DURATION',
  'AGENT_ALREADY_REGISTERED',
  'AGENT_NOT_SUSPENDED',
  'RESERVATION_NOT_FOUND',
  'DUPLICATE_RESERVATION_ID',
  'SESSION_NOT_STARTED',
  'SESSION_ALREADY_STARTED',
  'SESSION_ENDED',
  'DUPLICATE_REQUEST_ID',
  'REQUEST_NOT_ACTIVE',
  'DUPLICATE_CLIENT_REQUEST_ID',
  'SESSION_ALREADY_INITIALIZED',
  'TASK_NOT_FOUND',
  'TASK_ALREADY_CREATED',
  'TASK_ALREADY_FINISHED',
  'DUPLICATE_INPUT_KEY',
  'CLIENT_REQUEST_NOT_PENDING',
  'TOOL_CALL_ALREADY_REQUESTED',
  'TOOL_CALL_ALREADY_SETTLED',
  'TOOL_MISMATCH',
] as const;

export type DomainOnlyErrorName = (typeof DOMAIN_ONLY_ERROR_NAMES)[number];

export type DomainErrorCode = ApexErrorName | DomainOnlyErrorName;

/** An expected refusal, as a value. The message says what to do next. */
export interface DomainError {
  readonly code: DomainErrorCode;
  readonly message: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export const domainError = (
  code: DomainErrorCode,
  message: string,
  details?: Readonly<Record<string, unknown>>,
): DomainError => (details === undefined ? { code, message } : { code, message, details });

/** Durations come from the server's clock; a bad one is refused rather than written undecodable. */
export const invalidDurationError = (durationMs: number): DomainError =>
  domainError(
    'INVALID_DURATION',
    `A duration must be a finite number of milliseconds, zero or more; got ${durationMs}.`,
  );

const apexNames: ReadonlySet<string> = new Set(APEX_ERROR_NAMES);

export const isApexErrorName = (name: string): name is ApexErrorName => apexNames.has(name);
