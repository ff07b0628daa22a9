import * as sdk from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import {
  LATEST_PROTOCOL_VERSION,
  negotiateProtocolVersion,
  protocolEra,
  SUPPORTED_PROTOCOL_VERSIONS,
} from '../../src/protocol/index.js';

describe('protocol versions', () => {
  it('match the official SDK 1.x', () => {
    expect(LATEST_PROTOCOL_VERSION).toBe(sdk.LATEST_PROTOCOL_VERSION);
    expect(SUPPORTED_PROTOCOL_VERSIONS).toEqual(sdk.SUPPORTED_PROTOCOL_VERSIONS);
  });

  it.each(SUPPORTED_PROTOCOL_VERSIONS)('echoes a supported version (%s)', (version) => {
    expect(negotiateProtocolVersion(version)).toBe(version);
  });

  it.each(['2099-01-01', '2024-01-01', '', 'latest', '2026-07-28'])('answers the latest for %j', (version) => {
    expect(negotiateProtocolVersion(version)).toBe('2025-11-25');
  });

  it('tells the stateless era from the handshake era', () => {
    expect(protocolEra('2025-11-25')).toBe('legacy');
    expect(protocolEra('2024-11-05')).toBe('legacy');
    expect(protocolEra('2026-07-28')).toBe('modern');
    expect(protocolEra('2027-01-01')).toBe('modern');
    expect(protocolEra('zzz')).toBe('legacy');
  });
});
