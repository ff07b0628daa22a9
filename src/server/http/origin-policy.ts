import { isLoopbackHost } from './listen-address.js';

/**
 * DNS-rebinding protection (MCP Streamable HTTP, "Security Warning"): a browser page on another
 * site can point its own host name at 127.0.0.1 and reach a local server; its requests still
 * carry that site's Origin. So a request whose Origin is present and names neither a loopback
 * host nor a configured origin is refused. Requests without Origin (non-browser clients) pass:
 * a browser always sends Origin on the requests that matter here.
 */
export const isOriginAllowed = (origin: string | undefined, allowed: readonly string[]): boolean => {
  if (origin === undefined) return true;
  let parsed: URL;
  try {
    parsed = new URL(origin);
  } catch {
    return false;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return false;
  if (isLoopbackHost(parsed.hostname)) return true;
  return allowed.some((entry) => normalizedOrigin(entry) === parsed.origin);
};

/** `https://App.example.com:443` → `https://app.example.com`, as URL serializes an origin. */
const normalizedOrigin = (origin: string): string | undefined => {
  try {
    return new URL(origin).origin;
  } catch {
    return undefined;
  }
};
