import { isIP } from 'node:net';

export interface ListenAddress {
  readonly host: string;
  readonly port: number;
}

export const DEFAULT_HTTP_HOST = '127.0.0.1';

export class InvalidListenAddress extends Error {
  override readonly name = 'InvalidListenAddress';
}

/**
 * `HOST:PORT`, `[IPv6]:PORT`, `:PORT` or `PORT` (the host defaults to 127.0.0.1: nothing is
 * exposed beyond this machine unless asked for). Port 0 picks a free port.
 */
export const parseListenAddress = (text: string): ListenAddress => {
  const bracketed = /^\[([^\]]+)\]:(\d+)$/.exec(text);
  const [host, portText] = bracketed
    ? [bracketed[1] ?? '', bracketed[2] ?? '']
    : text.includes(':')
      ? [text.slice(0, text.lastIndexOf(':')), text.slice(text.lastIndexOf(':') + 1)]
      : ['', text];
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65_535) {
    throw new InvalidListenAddress(`--http ${JSON.stringify(text)}: the port must be 0–65535, e.g. 127.0.0.1:8080`);
  }
  if (host.includes(':') && !bracketed) {
    throw new InvalidListenAddress(
      `--http ${JSON.stringify(text)}: write an IPv6 address in brackets, e.g. [::1]:8080`,
    );
  }
  if (host !== '' && isIP(host) === 0 && !/^[A-Za-z0-9.-]+$/.test(host)) {
    throw new InvalidListenAddress(
      `--http ${JSON.stringify(text)}: ${JSON.stringify(host)} is not a host name or address`,
    );
  }
  return { host: host === '' ? DEFAULT_HTTP_HOST : host, port };
};

/** True for addresses only this machine can reach: 127.0.0.0/8, ::1, localhost. */
export const isLoopbackHost = (host: string): boolean => {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  if (bare === 'localhost' || bare.endsWith('.localhost')) return true;
  if (bare === '::1' || bare === '0:0:0:0:0:0:0:1') return true;
  if (bare.startsWith('::ffff:')) return isLoopbackHost(bare.slice('::ffff:'.length));
  return isIP(bare) === 4 && bare.startsWith('127.');
};

/** The URL a client uses for an address the server is bound to. */
export const urlOf = (address: ListenAddress, path: string): string => {
  const host = isIP(address.host) === 6 ? `[${address.host}]` : address.host;
  return `http://${host}:${address.port}${path}`;
};
