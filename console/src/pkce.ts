/**
 * Entra ID sign-in for the console: OAuth 2.0 authorization code flow with PKCE (RFC 7636, S256)
 * for a public SPA client. Pure functions over Web Crypto (the browser's, or Node's in the tests).
 * Tokens are kept in memory by the caller; only the verifier and state survive the redirect, in
 * sessionStorage, and are removed as soon as the browser is back.
 */

export interface EntraSettings {
  /** e.g. https://login.microsoftonline.com/<tenant id> */
  authority: string;
  clientId: string;
  /** The API scope, e.g. api://bystander/access */
  scope: string;
}

export interface PendingSignIn {
  state: string;
  verifier: string;
  redirectUri: string;
  /** ms since epoch; a pending sign-in older than 10 minutes is refused. */
  createdAt: number;
}

export const PENDING_MAX_AGE_MS = 10 * 60_000;

export function base64Url(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** 32 random bytes → 43 base64url characters (RFC 7636 §4.1: 43-128 unreserved characters). */
export function randomToken(bytes = 32): string {
  const buf = new Uint8Array(bytes);
  crypto.getRandomValues(buf);
  return base64Url(buf);
}

export function isVerifier(v: string): boolean {
  return /^[A-Za-z0-9\-._~]{43,128}$/.test(v);
}

/** code_challenge = BASE64URL(SHA-256(ASCII(code_verifier))) (RFC 7636 §4.2, S256). */
export async function challengeFor(verifier: string): Promise<string> {
  if (!isVerifier(verifier)) throw new Error('the PKCE verifier must be 43-128 unreserved characters');
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64Url(new Uint8Array(digest));
}

function endpoint(settings: EntraSettings, path: 'authorize' | 'token'): string {
  const base = settings.authority.replace(/\/+$/, '');
  if (!/^https:\/\//.test(base)) throw new Error('the authority must be an https URL');
  return `${base}/oauth2/v2.0/${path}`;
}

/** Starts a sign-in: a fresh verifier and state, and the authorize URL to navigate to. */
export async function beginSignIn(settings: EntraSettings, redirectUri: string, now: number): Promise<{ pending: PendingSignIn; url: string }> {
  const pending: PendingSignIn = { state: randomToken(16), verifier: randomToken(32), redirectUri, createdAt: now };
  const params = new URLSearchParams({
    client_id: settings.clientId,
    response_type: 'code',
    redirect_uri: redirectUri,
    response_mode: 'query',
    scope: `${settings.scope} openid`,
    state: pending.state,
    code_challenge: await challengeFor(pending.verifier),
    code_challenge_method: 'S256',
  });
  return { pending, url: `${endpoint(settings, 'authorize')}?${params}` };
}

export type Callback = { code: string } | { error: string };

/**
 * Checks the redirect back from the authority against the pending sign-in: the state must match
 * exactly (CSRF / mix-up), and the pending sign-in must be recent. One use: the caller deletes it.
 */
export function readCallback(query: URLSearchParams, pending: PendingSignIn | undefined, now: number): Callback {
  const state = query.get('state');
  if (!pending) return { error: 'no sign-in was started in this tab' };
  if (!state || state !== pending.state) return { error: 'the sign-in response does not belong to this sign-in (state mismatch)' };
  if (now - pending.createdAt > PENDING_MAX_AGE_MS || now < pending.createdAt) return { error: 'the sign-in took too long; start again' };
  const error = query.get('error');
  if (error) return { error: `${error}: ${(query.get('error_description') ?? '').slice(0, 200)}` };
  const code = query.get('code');
  if (!code) return { error: 'the sign-in response carries no code' };
  return { code };
}

/** The token request (form body) that redeems the code with the verifier. */
export function tokenRequest(settings: EntraSettings, pending: PendingSignIn, code: string): { url: string; body: URLSearchParams } {
  return {
    url: endpoint(settings, 'token'),
    body: new URLSearchParams({
      client_id: settings.clientId,
      grant_type: 'authorization_code',
      code,
      redirect_uri: pending.redirectUri,
      code_verifier: pending.verifier,
      scope: `${settings.scope} openid`,
    }),
  };
}

/** Parses a pending sign-in read back from sessionStorage (anything malformed is ignored). */
export function parsePending(text: string | null): PendingSignIn | undefined {
  if (!text) return undefined;
  try {
    const p = JSON.parse(text) as Partial<PendingSignIn>;
    if (typeof p.state === 'string' && typeof p.verifier === 'string' && isVerifier(p.verifier) && typeof p.redirectUri === 'string' && typeof p.createdAt === 'number') {
      return { state: p.state, verifier: p.verifier, redirectUri: p.redirectUri, createdAt: p.createdAt };
    }
  } catch {
    /* ignored */
  }
  return undefined;
}
