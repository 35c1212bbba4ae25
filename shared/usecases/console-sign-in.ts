import { z } from 'zod';
import { ROLES, type Role } from '../auth/tokens.js';
import { ProblemError, problems } from '../http/problem.js';
import type { Config } from '../config/config.js';

/**
 * How the investigator console signs in (issue 13). In Azure: Entra ID authorization code + PKCE,
 * done by the browser against the configured authority (the console is a public SPA client; the
 * API validates the resulting access tokens exactly as it validates a retailer system's). Locally:
 * a development sign-in that issues the stack's own development tokens — refused in Azure mode.
 */

/** The local stack's development tenant (local/stack.ts DEV_TENANT; equal, tested). */
export const DEV_CONSOLE_TENANT = 'dev-tenant';

export type ConsoleSignIn =
  | { signIn: 'development'; tenantId: string; roles: readonly Role[] }
  | { signIn: 'entra'; authority: string; clientId: string; scope: string }
  | { signIn: 'unavailable'; detail: string };

type SignInConfig = Pick<Config, 'BYSTANDER_MODE' | 'CONSOLE_ENTRA_CLIENT_ID' | 'CONSOLE_ENTRA_AUTHORITY' | 'CONSOLE_API_SCOPE'>;

/** What the console page needs to start signing in (public values only: no secret exists for a SPA). */
export function consoleSignIn(config: SignInConfig, devTenant: string): ConsoleSignIn {
  if (config.BYSTANDER_MODE === 'local') return { signIn: 'development', tenantId: devTenant, roles: ROLES };
  if (config.CONSOLE_ENTRA_CLIENT_ID && config.CONSOLE_ENTRA_AUTHORITY && config.CONSOLE_API_SCOPE) {
    return { signIn: 'entra', authority: config.CONSOLE_ENTRA_AUTHORITY.replace(/\/+$/, ''), clientId: config.CONSOLE_ENTRA_CLIENT_ID, scope: config.CONSOLE_API_SCOPE };
  }
  return { signIn: 'unavailable', detail: 'console sign-in is not configured (CONSOLE_ENTRA_CLIENT_ID, CONSOLE_ENTRA_AUTHORITY, CONSOLE_API_SCOPE)' };
}

export const DevSignInSchema = z.strictObject({
  roles: z.array(z.enum(ROLES)).min(1).max(ROLES.length).default([...ROLES]),
  /** Opaque id of the development user (never a name or e-mail address). */
  subject: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/, 'an opaque id (no spaces, no @)').default('dev-user'),
});

export interface DevTokenSigner {
  sign(claims: { tenantId: string; subject: string; roles: Role[] }, ttlSeconds?: number): Promise<string>;
}

export const DEV_TOKEN_TTL_SECONDS = 8 * 3600;

/**
 * `POST /api/dev/sign-in`: local mode only. Issues one of the stack's development tokens (the same
 * ES256 key `npm start` prints tokens with), validated afterwards by the ordinary token verifier.
 * In Azure mode, or without the local signer, it answers 404 as if the route did not exist.
 */
export function makeDevSignIn(mode: Config['BYSTANDER_MODE'], signer: DevTokenSigner | undefined, devTenant: string) {
  return async (body: unknown) => {
    if (mode !== 'local' || !signer) throw new ProblemError(problems.notFound('development sign-in (local stack only)'));
    const parsed = DevSignInSchema.safeParse(body ?? {});
    if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
    const accessToken = await signer.sign({ tenantId: devTenant, subject: parsed.data.subject, roles: parsed.data.roles }, DEV_TOKEN_TTL_SECONDS);
    return { accessToken, tokenType: 'Bearer', expiresIn: DEV_TOKEN_TTL_SECONDS, tenantId: devTenant, roles: parsed.data.roles };
  };
}
