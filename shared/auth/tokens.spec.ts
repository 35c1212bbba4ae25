import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SignJWT, generateKeyPair } from 'jose';
import { describe, expect, it } from 'vitest';
import { AuthError, DevTokenIssuer, createTokenVerifier, requireRole } from './tokens.js';

describe('bearer token validation (same path for Entra ID and local development tokens)', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'tok-'));
  const issuer = await DevTokenIssuer.load(dir, 'https://issuer', 'api://aud');
  const verifier = createTokenVerifier({ issuer: 'https://issuer', audience: 'api://aud', keys: issuer.keys() });

  it('yields tenant, opaque subject and known roles only', async () => {
    const token = await issuer.sign({ tenantId: 'acme', subject: 'u-1', roles: ['investigator'] });
    expect(await verifier.verify(`Bearer ${token}`)).toEqual({ tenantId: 'acme', subject: 'u-1', roles: ['investigator'] });
  });
  it('reuses the stored development key across restarts', async () => {
    const again = await DevTokenIssuer.load(dir, 'https://issuer', 'api://aud');
    expect(again.publicJwk).toEqual(issuer.publicJwk);
  });
  it('rejects a missing header, a wrong audience, an expired token and a foreign signature with 401', async () => {
    await expect(verifier.verify(undefined)).rejects.toMatchObject({ status: 401 });
    const other = await DevTokenIssuer.load(dir, 'https://issuer', 'api://other');
    await expect(verifier.verify(`Bearer ${await other.sign({ tenantId: 'a', subject: 's', roles: [] })}`)).rejects.toBeInstanceOf(AuthError);
    await expect(verifier.verify(`Bearer ${await issuer.sign({ tenantId: 'a', subject: 's', roles: [] }, -120)}`)).rejects.toMatchObject({ status: 401 });
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT({ tid: 'acme', roles: ['admin'] }).setProtectedHeader({ alg: 'ES256', kid: 'dev-1' }).setIssuer('https://issuer').setAudience('api://aud').setSubject('x').setExpirationTime('1h').sign(privateKey);
    await expect(verifier.verify(`Bearer ${forged}`)).rejects.toMatchObject({ status: 401 });
  });
  it('refuses a token whose tenant claim is not an id', async () => {
    const token = await issuer.sign({ tenantId: 'bad tenant!', subject: 's', roles: [] });
    await expect(verifier.verify(`Bearer ${token}`)).rejects.toThrow(/tenant/);
  });
  it('requireRole answers 403 for a missing role', () => {
    expect(() => requireRole({ tenantId: 't', subject: 's', roles: ['uploader'] }, ['admin'])).toThrow(expect.objectContaining({ status: 403 }));
  });
});
