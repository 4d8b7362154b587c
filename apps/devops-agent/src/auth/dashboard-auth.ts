import { randomBytes } from 'node:crypto';
import { hasRole, type Principal, type Role, type Session, type Sessions, sameSecret, type TokenAuthenticator } from '@atb/service-kit';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { parseCookies, serializeCookie } from './cookies.js';

/** The cookie holding the session id. */
export const SESSION_COOKIE = 'atb_session';
/** The cookie holding the sign-in form's one-time CSRF value (before any session exists). */
export const SIGN_IN_COOKIE = 'atb_sign_in';
const COOKIE_PATH = '/dashboard';

/** Sign-in behind an oauth2-proxy style reverse proxy: its user header, believed only from these addresses. */
export interface ProxySignIn {
  /** Lower-case header name (`x-forwarded-user`). */
  header: string;
  trustedAddresses: readonly string[];
  /** `name` → role; others get `defaultRole`. */
  roles: ReadonlyMap<string, Role>;
  defaultRole: Role;
}

/** Who is looking at the dashboard, and what they may do there. */
export interface DashboardViewer {
  principal: Principal | undefined;
  /** The session's synchronizer token, for every form; absent without a session. */
  csrf: string | undefined;
  /** Whether the principal may approve and reject (the operator role). */
  mayDecide: boolean;
}

/** A signed-in request: its session (and the cookie's id, for sign-out). */
export interface SignedIn {
  id: string;
  session: Session;
}

const PROXY_USER = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;

/** The proxy address form Node reports for IPv4 over an IPv6 socket (`::ffff:127.0.0.1`) compared as plain IPv4. */
const plainAddress = (address: string | undefined): string => (address ?? '').replace(/^::ffff:/, '');

/**
 * The dashboard's sign-in: a session cookie opened with an API token (the sign-in form) or with
 * a trusted proxy's user header. Sessions live server-side (`Sessions`, id hashes only); the
 * cookie is `HttpOnly`, `SameSite=Strict`, path `/dashboard`, and `Secure` when the request came
 * over TLS (directly, or through a trusted proxy that says `X-Forwarded-Proto: https`).
 */
export class DashboardAuth {
  constructor(
    private readonly sessions: Sessions,
    private readonly authenticateToken: TokenAuthenticator,
    private readonly options: {
      ttlSeconds: number;
      proxy?: ProxySignIn;
      /** Whether the token a session signed in with still authenticates (not revoked or expired); default: always. */
      tokenLive?: (principal: Principal) => Promise<boolean>;
    },
  ) {}

  private fromTrustedProxy(request: FastifyRequest): boolean {
    const address = plainAddress(request.socket.remoteAddress);
    return this.options.proxy?.trustedAddresses.some((trusted) => plainAddress(trusted) === address) ?? false;
  }

  private secure(request: FastifyRequest): boolean {
    return request.protocol === 'https' || (this.fromTrustedProxy(request) && request.headers['x-forwarded-proto'] === 'https');
  }

  private setCookie(request: FastifyRequest, reply: FastifyReply, name: string, value: string, maxAge: number): void {
    const cookie = serializeCookie(name, value, { maxAge, secure: this.secure(request), path: COOKIE_PATH });
    const previous = reply.getHeader('set-cookie');
    const cookies = Array.isArray(previous) ? previous : typeof previous === 'string' ? [previous] : [];
    reply.header('set-cookie', [...cookies, cookie]);
  }

  /** The user a trusted proxy vouches for, or undefined (no proxy configured, untrusted address, no or malformed header). */
  private proxyPrincipal(request: FastifyRequest): Principal | undefined {
    const proxy = this.options.proxy;
    if (!proxy || !this.fromTrustedProxy(request)) return undefined;
    const user = request.headers[proxy.header];
    if (typeof user !== 'string' || !PROXY_USER.test(user)) return undefined;
    return { id: `proxy:${user}`, name: user, kind: 'person', role: proxy.roles.get(user) ?? proxy.defaultRole };
  }

  /**
   * The request's session: the cookie's, or — behind a trusted proxy — one opened for the
   * proxy's user (a cookie of another user is replaced). `undefined`: not signed in or expired.
   */
  async identify(request: FastifyRequest, reply: FastifyReply): Promise<SignedIn | undefined> {
    const id = parseCookies(request.headers.cookie).get(SESSION_COOKIE);
    const session = await this.sessions.resolve(id);
    const proxied = this.proxyPrincipal(request);
    if (proxied && session?.principal.id !== proxied.id) return this.open(request, reply, proxied, 'proxy');
    if (!session || !id) return undefined;
    // Revoking a token (or its expiry) ends the sessions it opened.
    if (session.origin === 'token' && this.options.tokenLive && !(await this.options.tokenLive(session.principal))) {
      await this.sessions.destroy(id);
      return undefined;
    }
    return { id, session };
  }

  private async open(request: FastifyRequest, reply: FastifyReply, principal: Principal, origin: 'token' | 'proxy'): Promise<SignedIn> {
    const opened = await this.sessions.create(principal, origin);
    this.setCookie(request, reply, SESSION_COOKIE, opened.id, this.options.ttlSeconds);
    return opened;
  }

  /** What the viewer of this request may do (a bearer token's principal counts for reads). */
  viewer(request: FastifyRequest, signedIn: SignedIn | undefined): DashboardViewer {
    const principal = signedIn?.session.principal ?? request.principal;
    return { principal, csrf: signedIn?.session.csrf_token, mayDecide: signedIn !== undefined && hasRole(signedIn.session.principal, 'operator') };
  }

  /** A fresh one-time value for the sign-in form, also set as a cookie (double submit: no session exists yet). */
  signInNonce(request: FastifyRequest, reply: FastifyReply): string {
    const nonce = randomBytes(24).toString('base64url');
    this.setCookie(request, reply, SIGN_IN_COOKIE, nonce, 600);
    return nonce;
  }

  /** Signs in with a token typed into the form; `refused` says why not (the nonce, or the token). */
  async signIn(request: FastifyRequest, reply: FastifyReply, form: { token?: string; csrf?: string }): Promise<SignedIn | { refused: 'csrf' | 'token'; reason: string }> {
    const nonce = parseCookies(request.headers.cookie).get(SIGN_IN_COOKIE);
    if (!nonce || !sameSecret(form.csrf, nonce)) return { refused: 'csrf', reason: 'the sign-in form expired or was not sent by this dashboard; reload it' };
    this.setCookie(request, reply, SIGN_IN_COOKIE, '', 0);
    const authentication = await this.authenticateToken((form.token ?? '').trim());
    if (!authentication.ok) return { refused: 'token', reason: authentication.refusal === 'revoked' ? 'this token was revoked' : authentication.refusal === 'expired' ? 'this token has expired' : 'unknown token' };
    return this.open(request, reply, authentication.principal, 'token');
  }

  /** Whether a form of this session carries its synchronizer token. */
  csrfValid(signedIn: SignedIn, presented: string | undefined): boolean {
    return sameSecret(presented, signedIn.session.csrf_token);
  }

  async signOut(request: FastifyRequest, reply: FastifyReply, signedIn: SignedIn): Promise<void> {
    await this.sessions.destroy(signedIn.id);
    this.setCookie(request, reply, SESSION_COOKIE, '', 0);
  }
}
