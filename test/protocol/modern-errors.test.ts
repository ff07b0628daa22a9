import { describe, expect, it } from 'vitest';
import {
  internalError,
  invalidParams,
  invalidRequest,
  MCP_RESERVED_CODE_RANGE,
  methodNotFound,
  parseError,
  resourceNotFound,
  unsupportedProtocolVersion,
} from '../../src/protocol/index.js';
import {
  HEADER_MISMATCH_CODE,
  headerMismatch,
  missingRequiredClientCapability,
  modernHttpStatus,
} from '../../src/protocol/modern-errors.js';

describe('HeaderMismatch', () => {
  it('is -32020, inside the band MCP reserves, and names the header', () => {
    const error = headerMismatch('Mcp-Name', 'is missing; it must repeat params.name');
    expect(error.code).toBe(-32020);
    expect(HEADER_MISMATCH_CODE).toBe(MCP_RESERVED_CODE_RANGE.highest);
    expect(error.message).toBe(
      'Header mismatch: the Mcp-Name header is missing; it must repeat params.name. ' +
        'Send it with the value the request body carries.',
    );
    expect(error.data).toEqual({ header: 'Mcp-Name' });
  });

  it('cuts a long echoed value', () => {
    const error = headerMismatch('Mcp-Name', `says "${'x'.repeat(5_000)}"`);
    expect(error.message.length).toBeLessThan(400);
  });
});

describe('MissingRequiredClientCapability', () => {
  it('is -32021 with requiredCapabilities as an object', () => {
    const error = missingRequiredClientCapability({ sampling: {} });
    expect(error.code).toBe(-32021);
    expect(error.data).toEqual({ requiredCapabilities: { sampling: {} } });
    expect(error.message).toContain('sampling');
    expect(error.message).toContain('io.modelcontextprotocol/clientCapabilities');
  });

  it('names an extension by its id', () => {
    const required = { extensions: { 'io.modelcontextprotocol/tasks': {} } };
    const error = missingRequiredClientCapability(required);
    expect(error.data).toEqual({ requiredCapabilities: required });
    expect(error.message).toContain('extensions["io.modelcontextprotocol/tasks"]');
  });
});

describe('UnsupportedProtocolVersion (rpc-errors.ts) in its modern shape', () => {
  it('echoes the requested version exactly, even when the message shortens it', () => {
    const requested = `  v999.0.0 ${'y'.repeat(300)}`;
    const error = unsupportedProtocolVersion(requested, ['2026-07-28']);
    expect(error.code).toBe(-32022);
    expect(error.data).toEqual({ supported: ['2026-07-28'], requested });
  });
});

describe('modernHttpStatus', () => {
  it.each([
    ['parse error', parseError('x'), 400],
    ['invalid request', invalidRequest('x'), 400],
    ['a missing envelope key', invalidParams('params._meta lacks …', 'params._meta'), 400],
    ['a header mismatch', headerMismatch('Mcp-Method', 'is missing'), 400],
    ['an unsupported version', unsupportedProtocolVersion('v9', ['2026-07-28']), 400],
    ['a missing capability', missingRequiredClientCapability({ sampling: {} }), 400],
    ['an unknown or removed method', methodNotFound('ping'), 404],
    ['anything else refused at the gate', { code: -32000, message: 'x' }, 400],
  ])('gate: %s → %i', (_label, error, status) => {
    expect(modernHttpStatus(error, 'gate')).toBe(status);
  });

  it.each([
    ['resource not found (-32602)', resourceNotFound('test://nope', 'modern'), 200],
    ['invalid tool arguments', invalidParams('x', 'params.arguments'), 200],
    ['an internal error', internalError(), 200],
    ['an APEX condition', { code: -32001, message: 'Insufficient funds' }, 200],
    ['a missing capability found by the tool', missingRequiredClientCapability({ sampling: {} }), 400],
  ])('handler: %s → %i', (_label, error, status) => {
    expect(modernHttpStatus(error, 'handler')).toBe(status);
  });
});
