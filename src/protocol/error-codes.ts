/**
 * Every JSON-RPC error code APEX sends, in one place. See docs/adr/0007-error-codes.md for how the
 * APEX codes of the seed (§6.1) coexist with the codes MCP reserves.
 */

/** JSON-RPC 2.0 §5.1. */
export const JSON_RPC_ERROR_CODES = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
} as const;

/** Codes MCP itself defines. */
export const MCP_ERROR_CODES = {
  /** resources/read on an unknown URI, revisions up to 2025-11-25 (2026-07-28 answers -32602 with `data.uri`). */
  RESOURCE_NOT_FOUND: -32002,
  /** 2026-07-28 over HTTP: a standard or Mcp-Param header disagrees with the body, or is missing. */
  HEADER_MISMATCH: -32020,
  /** 2026-07-28: the request needs a client capability its `_meta` did not declare. */
  MISSING_REQUIRED_CLIENT_CAPABILITY: -32021,
  /** 2026-07-28: the request's protocol version is unknown or unsupported. */
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
  URL_ELICITATION_REQUIRED: -32042,
} as const;

/** MCP 2026-07-28 reserves this band of the JSON-RPC server-error range for itself. */
export const MCP_RESERVED_CODE_RANGE = { highest: -32020, lowest: -32099 } as const;

/** The APEX error codes of seed §6.1, by symbolic name. */
export const APEX_ERROR_CODES = {
  // Economic (-32000 to -32009)
  FISCAL_INSOLVENCY: -32000,
  INSUFFICIENT_FUNDS: -32001,
  BOND_REQUIRED: -32002,
  DEBT_LIMIT_EXCEEDED: -32003,
  // Security (-32010 to -32019)
  SANDBOX_ESCAPE_ATTEMPT: -32010,
  PERMISSION_DENIED: -32011,
  AST_VIOLATION: -32012,
  REGEX_VIOLATION: -32013,
  // System (-32020 to -32029)
  Z3_VERIFICATION_FAILURE: -32020,
  CONTEXT_WINDOW_EXCEEDED: -32021,
  PERSONA_CORRUPTION: -32022,
  MEMORY_ERROR: -32023,
  // Agent (-32030 to -32039)
  AGENT_NOT_FOUND: -32030,
  AGENT_BANKRUPT: -32031,
  AGENT_SUSPENDED: -32032,
  AGENT_OVERLOADED: -32033,
  /** Not in the seed's table: a request outlived its TTL (seed §4), stopped and penalised. */
  REQUEST_TIMED_OUT: -32034,
} as const;

export type ApexErrorName = keyof typeof APEX_ERROR_CODES;

export const APEX_ERROR_NAMES = Object.keys(APEX_ERROR_CODES) as readonly ApexErrorName[];

export const isApexErrorName = (name: unknown): name is ApexErrorName =>
  typeof name === 'string' && Object.hasOwn(APEX_ERROR_CODES, name);

/**
 * Where a seed code collides with a code MCP owns in the context of a request, the APEX condition
 * goes out this far below it: -32020 becomes -33020. Codes below -32768 are application-defined in
 * JSON-RPC, so the moved codes can collide with neither JSON-RPC nor MCP, and keep their block.
 */
export const APEX_RELOCATED_CODE_OFFSET = -1000;

/**
 * Protocol eras: `legacy` is every revision with an `initialize` handshake (up to 2025-11-25),
 * `modern` is 2026-07-28 and later, where MCP reserves MCP_RESERVED_CODE_RANGE.
 */
export type ProtocolEra = 'legacy' | 'modern';

/** Methods for which MCP fixes the meaning of a code that is also a seed code. */
const MCP_CODES_BY_METHOD: Readonly<Record<string, readonly number[]>> = {
  'resources/read': [MCP_ERROR_CODES.RESOURCE_NOT_FOUND],
};

const isInMcpReservedRange = (code: number): boolean =>
  code <= MCP_RESERVED_CODE_RANGE.highest && code >= MCP_RESERVED_CODE_RANGE.lowest;

/**
 * The code an APEX condition is sent under. MCP wins every collision: a seed code that MCP gives
 * a meaning for this method, or (modern era) any seed code inside MCP's reserved range, is moved
 * by APEX_RELOCATED_CODE_OFFSET. The seed code itself always travels in `error.data.seedCode`.
 */
export const wireErrorCode = (name: ApexErrorName, era: ProtocolEra, method?: string): number => {
  const seedCode = APEX_ERROR_CODES[name];
  const collidesWithMethod = method !== undefined && (MCP_CODES_BY_METHOD[method]?.includes(seedCode) ?? false);
  const collidesWithEra = era === 'modern' && isInMcpReservedRange(seedCode);
  return collidesWithMethod || collidesWithEra ? seedCode + APEX_RELOCATED_CODE_OFFSET : seedCode;
};
