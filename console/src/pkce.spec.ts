import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PENDING_MAX_AGE_MS, beginSignIn, challengeFor, isVerifier, parsePending, randomToken, readCallback, tokenRequest, type EntraSettings } from './pkce.js';

const settings: EntraSettings = { authority: 'https://login.microsoftonline.com/11111111-2222-3333-4444-555555555555', clientId: 'aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee', scope: 'api://bystander/access' };
const T0 = 1_780_000_000_000;

describe('PKCE (RFC 7636, S256) for the console sign-in', () => {
  it('computes the S256 challenge of the RFC 7636 appendix B example', async () => {
    expect(await challengeFor('dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk')).toBe('E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM');
  });

  it('makes 43-character unreserved verifiers from 32 random bytes, different each time', () => {
    const a = randomToken(32);
    const b = randomToken(32);
    expect(a).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(isVerifier(a)).toBe(true);
    expect(a).not.toBe(b);
    expect(isVerifier('short')).toBe(false);
    expect(isVerifier('a'.repeat(129))).toBe(false);
  });

  it('refuses a verifier outside the RFC alphabet or length', async () => {
    await expect(challengeFor('too-short')).rejects.toThrow(/43-128/);
    await expect(challengeFor(`${'a'.repeat(43)} `)).rejects.toThrow();
  });

  it('builds the authorize URL: code flow, S256 challenge of the pending verifier, state, query response mode', async () => {
    const { pending, url } = await beginSignIn(settings, 'https://evidence-au.example.com/console/', T0);
    const u = new URL(url);
    expect(`${u.origin}${u.pathname}`).toBe(`${settings.authority}/oauth2/v2.0/authorize`);
    const q = u.searchParams;
    expect(q.get('response_type')).toBe('code');
    expect(q.get('client_id')).toBe(settings.clientId);
    expect(q.get('redirect_uri')).toBe('https://evidence-au.example.com/console/');
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toBe(createHash('sha256').update(pending.verifier).digest('base64url'));
    expect(q.get('state')).toBe(pending.state);
    expect(q.get('scope')).toBe('api://bystander/access openid');
    expect(url).not.toContain(pending.verifier); // only the challenge leaves the browser before the code exchange
    expect(pending.createdAt).toBe(T0);
  });

  it('refuses an http authority', async () => {
    await expect(beginSignIn({ ...settings, authority: 'http://login.example' }, 'https://x/console/', T0)).rejects.toThrow(/https/);
  });

  it('accepts the callback only with the exact state of a recent pending sign-in', async () => {
    const { pending } = await beginSignIn(settings, 'https://x/console/', T0);
    const cb = (q: Record<string, string>, now = T0 + 1000) => readCallback(new URLSearchParams(q), pending, now);
    expect(cb({ code: 'abc', state: pending.state })).toEqual({ code: 'abc' });
    expect(cb({ code: 'abc', state: `${pending.state}x` })).toEqual({ error: expect.stringMatching(/state mismatch/) });
    expect(cb({ code: 'abc' })).toEqual({ error: expect.stringMatching(/state mismatch/) });
    expect(readCallback(new URLSearchParams({ code: 'abc', state: pending.state }), undefined, T0 + 1000)).toEqual({ error: expect.stringMatching(/no sign-in was started/) });
    expect(cb({ code: 'abc', state: pending.state }, T0 + PENDING_MAX_AGE_MS + 1)).toEqual({ error: expect.stringMatching(/too long/) });
    expect(cb({ code: 'abc', state: pending.state }, T0 - 1)).toEqual({ error: expect.stringMatching(/too long/) });
    expect(cb({ error: 'access_denied', error_description: 'User cancelled', state: pending.state })).toEqual({ error: 'access_denied: User cancelled' });
    expect(cb({ state: pending.state })).toEqual({ error: expect.stringMatching(/no code/) });
  });

  it('redeems the code at the token endpoint with the verifier and the same redirect URI (no client secret)', async () => {
    const { pending } = await beginSignIn(settings, 'https://x/console/', T0);
    const { url, body } = tokenRequest(settings, pending, 'the-code');
    expect(url).toBe(`${settings.authority}/oauth2/v2.0/token`);
    expect(Object.fromEntries(body)).toEqual({
      client_id: settings.clientId,
      grant_type: 'authorization_code',
      code: 'the-code',
      redirect_uri: 'https://x/console/',
      code_verifier: pending.verifier,
      scope: 'api://bystander/access openid',
    });
  });

  it('reads back only a well-formed pending sign-in', async () => {
    const { pending } = await beginSignIn(settings, 'https://x/console/', T0);
    expect(parsePending(JSON.stringify(pending))).toEqual(pending);
    expect(parsePending(null)).toBeUndefined();
    expect(parsePending('{')).toBeUndefined();
    expect(parsePending(JSON.stringify({ ...pending, verifier: 'bad' }))).toBeUndefined();
    expect(parsePending(JSON.stringify({ ...pending, accessToken: 'x' }))).toEqual(pending); // nothing else is carried over
  });
});
