import { describe, it } from 'vitest';
import { MAX_MEMORY_TEXT_LENGTH, memoryDecider } from '../../src/domain/memory/decider.js';
import { SANDBOX_ESCAPE_ATTEMPT_KIND, securityDecider } from '../../src/domain/security/decider.js';
import { deciderSpec } from './support/decider-spec.js';

describe('security incidents', () => {
  const given = deciderSpec(securityDecider);
  it('records every incident reported', () =>
    given([])
      .when({
        type: 'ReportSecurityIncident',
        data: { kind: SANDBOX_ESCAPE_ATTEMPT_KIND, detail: 'read /etc/shadow', correlationId: 's1:4' },
      })
      .then([
        {
          type: 'SecurityIncidentReported',
          data: { kind: 'sandbox_escape_attempt', detail: 'read /etc/shadow', correlationId: 's1:4' },
        },
      ]));
});

describe('memory', () => {
  const given = deciderSpec(memoryDecider);
  it('stores a memory with its tags and optional key', () =>
    given([])
      .when({ type: 'StoreMemory', data: { key: 'k', text: 'the sky is blue', tags: ['facts'] } })
      .then([{ type: 'MemoryStored', data: { key: 'k', text: 'the sky is blue', tags: ['facts'] } }]));
  it('omits an absent key', () =>
    given([])
      .when({ type: 'StoreMemory', data: { text: 'x', tags: [] } })
      .then([{ type: 'MemoryStored', data: { text: 'x', tags: [] } }]));
  it('refuses empty text', () =>
    given([])
      .when({ type: 'StoreMemory', data: { text: '  ', tags: [] } })
      .then({ code: 'MEMORY_ERROR' }));
  it('refuses text over the limit', () =>
    given([])
      .when({ type: 'StoreMemory', data: { text: 'x'.repeat(MAX_MEMORY_TEXT_LENGTH + 1), tags: [] } })
      .then({ code: 'MEMORY_ERROR' }));
});
