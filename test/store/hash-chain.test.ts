import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { eventHash, type HashInput } from '../../src/store/hash-chain.js';

const input: HashInput = {
  prevHash: '0'.repeat(64),
  stream: 'agent-é',
  revision: 12n,
  type: 'FundsReserved',
  schemaVersion: 2,
  dataJson: '{"a":"ü€𝄞","n":1}',
  metadataJson: '{"correlationId":"c-1"}',
};

describe('eventHash', () => {
  it('is SHA-256 of the fields joined by newlines, UTF-8 encoded: the encoding every stored chain was written with', () => {
    // Spelled out independently of the implementation, so a change of encoding breaks this test.
    const text = [
      '0'.repeat(64),
      'agent-é',
      '12',
      'FundsReserved',
      '2',
      '{"a":"ü€𝄞","n":1}',
      '{"correlationId":"c-1"}',
    ].join('\n');
    expect(eventHash(input)).toBe(createHash('sha256').update(Buffer.from(text, 'utf8')).digest('hex'));
    expect(eventHash(input)).toBe('ebdc28d7f394173b8b98bcdcedb12845b9eeb10051acda67df7efebb4b46272b');
  });

  it('changes when any covered field changes', () => {
    const base = eventHash(input);
    const variants: HashInput[] = [
      { ...input, prevHash: '1'.repeat(64) },
      { ...input, stream: 'agent-e' },
      { ...input, revision: 13n },
      { ...input, type: 'FundsReleased' },
      { ...input, schemaVersion: 3 },
      { ...input, dataJson: '{"a":"u"}' },
      { ...input, metadataJson: '{}' },
    ];
    for (const variant of variants) expect(eventHash(variant)).not.toBe(base);
  });
});
