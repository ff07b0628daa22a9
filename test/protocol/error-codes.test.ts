import { ErrorCode } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  APEX_ERROR_CODES,
  APEX_ERROR_NAMES,
  type ApexErrorName,
  apexError,
  internalError,
  invalidParams,
  JSON_RPC_ERROR_CODES,
  MCP_ERROR_CODES,
  MCP_RESERVED_CODE_RANGE,
  methodNotFound,
  resourceNotFound,
  toWireError,
  wireErrorCode,
} from '../../src/protocol/index.js';

/** Seed §6.1, and the code each condition is sent under in each era (ADR 0007). */
const EXPECTED: ReadonlyArray<readonly [ApexErrorName, seed: number, legacy: number, modern: number]> = [
  ['FISCAL_INSOLVENCY', -32000, -32000, -32000],
  ['INSUFFICIENT_FUNDS', -32001, -32001, -32001],
  ['BOND_REQUIRED', -32002, -32002, -32002],
  ['DEBT_LIMIT_EXCEEDED', -32003, -32003, -32003],
  ['SANDBOX_ESCAPE_ATTEMPT', -32010, -32010, -32010],
  ['PERMISSION_DENIED', -32011, -32011, -32011],
  ['AST_VIOLATION', -32012, -32012, -32012],
  ['REGEX_VIOLATION', -32013, -32013, -32013],
  ['Z3_VERIFICATION_FAILURE', -32020, -32020, -33020],
  ['CONTEXT_WINDOW_EXCEEDED', -32021, -32021, -33021],
  ['PERSONA_CORRUPTION', -32022, -32022, -33022],
  ['MEMORY_ERROR', -32023, -32023, -33023],
  ['AGENT_NOT_FOUND', -32030, -32030, -33030],
  ['AGENT_BANKRUPT', -32031, -32031, -33031],
  ['AGENT_SUSPENDED', -32032, -32032, -33032],
  ['AGENT_OVERLOADED', -32033, -32033, -33033],

  ['REQUEST_TIMED_OUT', -32034, -32034, -33034],
];

describe('APEX error codes', () => {
  it('are the sixteen codes of seed §6.1 plus the request timeout', () => {
    expect(Object.entries(APEX_ERROR_CODES)).toEqual(EXPECTED.map(([name, seed]) => [name, seed]));
    expect(APEX_ERROR_NAMES).toHaveLength(17);
  });

  it.each(EXPECTED)('%s (seed %i): legacy %i, modern %i', (name, seed, legacy, modern) => {
    expect(wireErrorCode(name, 'legacy')).toBe(legacy);
    expect(wireErrorCode(name, 'modern')).toBe(modern);
    const error = apexError(name, 'explained');
    expect(toWireError(error, 'legacy')).toMatchObject({ code: legacy, data: { apex: name, seedCode: seed } });
    expect(toWireError(error, 'modern')).toMatchObject({ code: modern, data: { apex: name, seedCode: seed } });
  });

  it('never sends a modern-era APEX code inside the range MCP reserves, nor two conditions under one code', () => {
    for (const era of ['legacy', 'modern'] as const) {
      const codes = APEX_ERROR_NAMES.map((name) => wireErrorCode(name, era));
      expect(new Set(codes).size).toBe(codes.length);
      for (const code of codes) expect(Number.isSafeInteger(code)).toBe(true);
    }
    for (const name of APEX_ERROR_NAMES) {
      const code = wireErrorCode(name, 'modern');
      expect(code <= MCP_RESERVED_CODE_RANGE.highest && code >= MCP_RESERVED_CODE_RANGE.lowest).toBe(false);
      expect(Object.values(JSON_RPC_ERROR_CODES)).not.toContain(code);
    }
  });

  it('lets MCP keep -32002 on resources/read: BOND_REQUIRED moves there, in both eras', () => {
    expect(MCP_ERROR_CODES.RESOURCE_NOT_FOUND).toBe(APEX_ERROR_CODES.BOND_REQUIRED);
    expect(wireErrorCode('BOND_REQUIRED', 'legacy', 'resources/read')).toBe(-33002);
    expect(wireErrorCode('BOND_REQUIRED', 'modern', 'resources/read')).toBe(-33002);
    expect(wireErrorCode('BOND_REQUIRED', 'legacy', 'tools/call')).toBe(-32002);
    expect(wireErrorCode('INSUFFICIENT_FUNDS', 'legacy', 'resources/read')).toBe(-32001);
    expect(toWireError(apexError('BOND_REQUIRED', 'post a bond'), 'legacy', 'resources/read').code).toBe(-33002);
  });
});

describe('error builders', () => {
  it('apexError puts the symbolic name and seed code in data, after any extra detail', () => {
    expect(
      apexError('INSUFFICIENT_FUNDS', 'Balance 3 is below the cost 5 of tools/call echo.', { balance: 3, apex: 'X' }),
    ).toEqual({
      code: -32001,
      message: 'Balance 3 is below the cost 5 of tools/call echo.',
      data: { balance: 3, apex: 'INSUFFICIENT_FUNDS', seedCode: -32001 },
    });
  });

  it('toWireError leaves errors that are not APEX conditions alone', () => {
    const notFound = resourceNotFound('payroll://x', 'legacy');
    expect(toWireError(notFound, 'modern', 'resources/read')).toBe(notFound);
    const odd = { code: -32020, message: 'x', data: { apex: 'NOT_A_NAME' } };
    expect(toWireError(odd, 'modern')).toBe(odd);
  });

  it('resource not found is -32002 up to 2025-11-25 and -32602 with data.uri from 2026-07-28', () => {
    expect(resourceNotFound('memory://a', 'legacy')).toMatchObject({ code: -32002, data: { uri: 'memory://a' } });
    expect(resourceNotFound('memory://a', 'modern')).toMatchObject({ code: -32602, data: { uri: 'memory://a' } });
  });

  it('internalError has one fixed message that reveals nothing', () => {
    expect(internalError.length).toBe(0);
    expect(internalError()).toEqual({
      code: -32603,
      message: 'Internal error. The request was not completed; it is safe to retry.',
    });
  });

  it('invalidParams names the failing path in data', () => {
    expect(invalidParams('params.name is required', 'params.name')).toEqual({
      code: -32602,
      message: 'Invalid params: params.name is required',
      data: { path: 'params.name' },
    });
  });

  it('methodNotFound echoes at most 200 characters of a method name', () => {
    const error = methodNotFound('m'.repeat(100_000));
    expect(error.code).toBe(-32601);
    expect(error.message.length).toBeLessThan(250);
  });

  it('uses the standard codes the official SDK uses', () => {
    expect(JSON_RPC_ERROR_CODES).toEqual({
      PARSE_ERROR: ErrorCode.ParseError,
      INVALID_REQUEST: ErrorCode.InvalidRequest,
      METHOD_NOT_FOUND: ErrorCode.MethodNotFound,
      INVALID_PARAMS: ErrorCode.InvalidParams,
      INTERNAL_ERROR: ErrorCode.InternalError,
    });
    expect(MCP_ERROR_CODES.URL_ELICITATION_REQUIRED).toBe(ErrorCode.UrlElicitationRequired);
  });
});
