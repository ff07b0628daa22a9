import * as t from 'io-ts';
import { defineEvent, type EventOf } from '../event-definition.js';

/** A security incident concerning one agent (stream `security-<agent id>`). */
export const SecurityIncidentReported = defineEvent(
  'SecurityIncidentReported',
  1,
  t.type({
    /** What happened, e.g. 'sandbox_escape_attempt', 'permission_probe'. */
    kind: t.string,
    detail: t.string,
    correlationId: t.string,
  }),
);

export const SECURITY_EVENT_DEFINITIONS = [SecurityIncidentReported] as const;

export type SecurityEvent = EventOf<(typeof SECURITY_EVENT_DEFINITIONS)[number]>;
