import { isIP } from 'node:net';
import type { IncomingMessage } from 'node:http';
import { InvalidInputError } from '../../core/errors.js';
import { ForbiddenError, UnsupportedMediaTypeError } from './errors.js';

// The names this machine reaches itself by; a page on any other name is not talking to localhost.
const LOOPBACK_NAMES = ['localhost', '127.0.0.1', '[::1]'];

/** Whether `host` (a bind address or a Host name, IPv6 with or without brackets) is this machine's loopback. */
export function isLoopback(host: string): boolean {
  const name = host.toLowerCase().replace(/^\[(.*)\]$/, '$1');
  if (name === 'localhost' || name.endsWith('.localhost')) return true;
  if (isIP(name) === 4) return name.startsWith('127.');
  return name === '::1' || name === '::ffff:127.0.0.1';
}

/** A Host header's or origin's name, lowercased, without the port (IPv6 keeps its brackets). */
function hostName(hostAndPort: string): string | null {
  try {
    return new URL(`http://${hostAndPort}`).hostname.toLowerCase();
  } catch {
    return null;
  }
}

/**
 * Which Host names the endpoint answers to: loopback names, the address it is bound to (unless a
 * wildcard), and the operator's `--allowed-host` names (`*`: any). A page on another name, reached
 * by DNS rebinding, is refused, as browser mode refuses it.
 */
export class HostRules {
  readonly #names: Set<string>;
  readonly #any: boolean;

  constructor(bindHost: string, allowed: readonly string[]) {
    this.#any = allowed.includes('*');
    const bound = isIP(bindHost) === 6 ? `[${bindHost}]` : bindHost;
    const names = [...LOOPBACK_NAMES, ...allowed, ...(bindHost === '0.0.0.0' || bindHost === '::' ? [] : [bound])];
    this.#names = new Set(names.map((n) => hostName(n) ?? n.toLowerCase()));
  }

  allows(name: string | null): boolean {
    return this.#any || (name !== null && this.#names.has(name));
  }

  /**
   * Refuses (403) a Host this endpoint does not answer to, and a request a browser sent from
   * another site: an Origin on a name not allowed, or `Sec-Fetch-Site: cross-site`. Clients that
   * are not browsers send neither and pass.
   */
  check(req: IncomingMessage): void {
    const host = req.headers.host;
    if (host !== undefined && !this.allows(hostName(host))) {
      throw new ForbiddenError(`The Host "${host}" is not a name this server answers to (a DNS-rebound page?); the operator can allow it with --allowed-host`, null, 'forbidden_host');
    }
    const origin = req.headers.origin;
    const crossSite = req.headers['sec-fetch-site'] === 'cross-site';
    if (origin === undefined && !crossSite) return;
    let originName: string | null = null;
    try {
      const u = new URL(origin ?? '');
      if (u.protocol === 'http:' || u.protocol === 'https:') originName = u.hostname.toLowerCase();
    } catch {
      // "null" (a sandboxed frame, a file: page) or garbage: never a name this server answers to.
    }
    if (crossSite || !this.allows(originName)) {
      throw new ForbiddenError(`Browser requests from the origin "${origin ?? 'another site'}" may not call this server`, null, 'forbidden_origin');
    }
  }
}

/** Refuses (415) a POST body not declared `application/json`: a page can send a form or `text/plain` cross-site without asking. */
export function requireJsonBody(req: IncomingMessage): void {
  const type = (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
  if (type !== 'application/json') throw new UnsupportedMediaTypeError(req.headers['content-type'] ?? '');
}

/**
 * Refuses to listen beyond loopback with no token, unless the operator said `--insecure-no-auth`;
 * returns the warning to print then. Anyone who can reach the port could spend the pool's keys.
 */
export function checkBind(host: string, authToken: string | undefined, insecureNoAuth: boolean): string | null {
  if (isLoopback(host) || authToken !== undefined) return null;
  if (!insecureNoAuth) {
    throw new InvalidInputError(`binding ${host} exposes the endpoint beyond this machine: set a token (--auth-token-env) or, behind a firewall you trust, pass --insecure-no-auth`, '--host');
  }
  return `serve: WARNING: listening on ${host} with no token (--insecure-no-auth): anyone who can reach this port can spend the pool's API keys`;
}
