import type { ProtocolEra } from './error-codes.js';

/** The newest revision negotiated through `initialize`; matches the official SDK 1.x. */
export const LATEST_PROTOCOL_VERSION = '2025-11-25';

/** Revisions a client may ask for in `initialize`, newest first; matches the official SDK 1.x. */
export const SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  LATEST_PROTOCOL_VERSION,
  '2025-06-18',
  '2025-03-26',
  '2024-11-05',
  '2024-10-07',
];

/** The first stateless revision: no `initialize`, the version travels with every request. */
export const FIRST_MODERN_PROTOCOL_VERSION = '2026-07-28';

/** Stateless revisions served without `initialize` (the version in each request's `_meta`), newest first. */
export const SUPPORTED_MODERN_PROTOCOL_VERSIONS: readonly string[] = [FIRST_MODERN_PROTOCOL_VERSION];

/** Every revision APEX speaks, newest first: what `server/discover` and UnsupportedProtocolVersion list. */
export const ALL_SUPPORTED_PROTOCOL_VERSIONS: readonly string[] = [
  ...SUPPORTED_MODERN_PROTOCOL_VERSIONS,
  ...SUPPORTED_PROTOCOL_VERSIONS,
];

const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** MCP versions are ISO dates, so string order is date order; anything else is not a modern version. */
export const protocolEra = (version: string): ProtocolEra =>
  ISO_DATE.test(version) && version >= FIRST_MODERN_PROTOCOL_VERSION ? 'modern' : 'legacy';

/** MCP lifecycle: echo the client's version when we support it, otherwise offer our latest. */
export const negotiateProtocolVersion = (requested: string): string =>
  SUPPORTED_PROTOCOL_VERSIONS.includes(requested) ? requested : LATEST_PROTOCOL_VERSION;
