import {
  SignJWT,
  createLocalJWKSet,
  createRemoteJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  jwtVerify,
  type JWK,
  type JWTVerifyGetKey,
} from 'jose';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';

export const ROLES = ['uploader', 'investigator', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Who is calling: opaque ids only. */
export interface Principal {
  tenantId: string;
  /** Token subject (`oid` for Entra ID); an opaque id, never a name or e-mail address. */
  subject: string;
  roles: Role[];
}

export class AuthError extends Error {
  override name = 'AuthError';
  constructor(
    message: string,
    readonly status: 401 | 403,
  ) {
    super(message);
  }
}

const ClaimsSchema = z.object({
  tid: z.string().regex(/^[\w-]{1,64}$/),
  oid: z.string().min(1).max(128).optional(),
  sub: z.string().min(1).max(256),
  roles: z.array(z.string()).default([]),
});

export interface TokenVerifier {
  verify(authorization: string | null | undefined): Promise<Principal>;
}

/**
 * Validates bearer JWTs: signature against the JWKS (Entra ID in Azure, the local dev key locally),
 * issuer, audience, expiry (60 s leeway). Tenant = `tid`; roles = `roles` claim (app roles).
 */
export function createTokenVerifier(options: { issuer: string; audience: string; keys: JWTVerifyGetKey }): TokenVerifier {
  return {
    async verify(authorization) {
      const m = /^Bearer\s+([\w-]+\.[\w-]+\.[\w-]+)$/i.exec(authorization?.trim() ?? '');
      if (!m) throw new AuthError('a bearer token is required', 401);
      let payload: unknown;
      try {
        ({ payload } = await jwtVerify(m[1]!, options.keys, {
          issuer: options.issuer,
          audience: options.audience,
          clockTolerance: 60,
          algorithms: ['RS256', 'ES256'],
        }));
      } catch {
        throw new AuthError('the bearer token is invalid or expired', 401);
      }
      const claims = ClaimsSchema.safeParse(payload);
      if (!claims.success) throw new AuthError('the bearer token lacks a tenant or subject', 401);
      const roles = claims.data.roles.filter((r): r is Role => (ROLES as readonly string[]).includes(r));
      return { tenantId: claims.data.tid, subject: claims.data.oid ?? claims.data.sub, roles };
    },
  };
}

export function remoteKeys(jwksUri: string): JWTVerifyGetKey {
  return createRemoteJWKSet(new URL(jwksUri), { cooldownDuration: 30_000, cacheMaxAge: 3600_000 });
}

/** Local development signing key: an ES256 key pair kept in the data folder. */
export class DevTokenIssuer {
  private constructor(
    private readonly privateJwk: JWK,
    readonly publicJwk: JWK,
    readonly issuer: string,
    readonly audience: string,
  ) {}

  static async load(dir: string, issuer: string, audience: string): Promise<DevTokenIssuer> {
    const file = join(dir, 'dev-signing-key.json');
    try {
      const { privateJwk, publicJwk } = JSON.parse(await readFile(file, 'utf8')) as { privateJwk: JWK; publicJwk: JWK };
      return new DevTokenIssuer(privateJwk, publicJwk, issuer, audience);
    } catch {
      const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
      const privateJwk = { ...(await exportJWK(privateKey)), kid: 'dev-1', alg: 'ES256' };
      const publicJwk = { ...(await exportJWK(publicKey)), kid: 'dev-1', alg: 'ES256' };
      await mkdir(dir, { recursive: true });
      await writeFile(file, JSON.stringify({ privateJwk, publicJwk }), { mode: 0o600 });
      return new DevTokenIssuer(privateJwk, publicJwk, issuer, audience);
    }
  }

  keys(): JWTVerifyGetKey {
    return createLocalJWKSet({ keys: [this.publicJwk] });
  }

  async sign(claims: { tenantId: string; subject: string; roles: Role[] }, ttlSeconds = 12 * 3600): Promise<string> {
    const key = await importJWK(this.privateJwk, 'ES256');
    return new SignJWT({ tid: claims.tenantId, oid: claims.subject, roles: claims.roles })
      .setProtectedHeader({ alg: 'ES256', kid: 'dev-1' })
      .setIssuer(this.issuer)
      .setAudience(this.audience)
      .setSubject(claims.subject)
      .setIssuedAt()
      .setExpirationTime(`${ttlSeconds}s`)
      .sign(key);
  }
}

export function requireRole(principal: Principal, allowed: readonly Role[]): void {
  if (!principal.roles.some((r) => allowed.includes(r))) {
    throw new AuthError(`this action needs one of the roles: ${allowed.join(', ')}`, 403);
  }
}
