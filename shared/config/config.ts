import { z } from 'zod';
import { RetentionPolicySchema } from '../retention/policy.js';
import { secretKey } from '../webhooks/signing.js';

/**
 * All settings, validated once at start-up. In Azure they come from app settings (identity-based
 * connections: `X__serviceUri` / `X__accountEndpoint`, managed identity); locally the embedded stack
 * fills them with loopback endpoints. A bad or missing setting stops start-up with a message naming it.
 */

const commaList = z
  .string()
  .transform((s) => s.split(',').map((x) => x.trim()).filter(Boolean));

const bool = z
  .enum(['true', 'false', '1', '0'])
  .transform((v) => v === 'true' || v === '1');

const positiveInt = z.coerce.number().int().positive();

export const ConfigSchema = z
  .object({
    /** Which stamp this is (e.g. `au`, `uk`); recorded on every incident, checked on every read. */
    BYSTANDER_GEOGRAPHY: z.string().regex(/^[a-z]{2,12}$/, 'a lower-case geography code such as "au" or "uk"'),
    /** `azure`: managed identity + Entra ID; `local`: the embedded stack (Azurite, emulator, dev tokens). */
    BYSTANDER_MODE: z.enum(['azure', 'local']).default('azure'),

    // Storage: either identity-based service URIs (Azure) or a connection string (Azurite).
    STORAGE__blobServiceUri: z.url().optional(),
    STORAGE__queueServiceUri: z.url().optional(),
    STORAGE__clientId: z.string().optional(),
    STORAGE_CONNECTION_STRING: z.string().min(1).optional(),

    // Cosmos DB: identity-based endpoint, or endpoint + key for the local emulator only.
    COSMOS__accountEndpoint: z.url(),
    COSMOS__clientId: z.string().optional(),
    COSMOS_KEY: z.string().min(1).optional(),
    COSMOS_DATABASE: z.string().min(1).default('bystander'),

    // Key Vault: the geography's key-encryption key (wraps each incident's data key).
    KEYVAULT__uri: z.url().optional(),
    KEYVAULT__keyName: z.string().regex(/^[A-Za-z0-9-]{1,127}$/).default('bystander-kek'),
    KEYVAULT__clientId: z.string().optional(),

    // Authentication (Entra ID in Azure; the local stack signs its own development tokens).
    AUTH__issuer: z.string().min(1),
    AUTH__audience: z.string().min(1),
    AUTH__jwksUri: z.url().optional(),
    /** Local only: folder holding the development signing key. */
    AUTH_DEV_KEY_DIR: z.string().optional(),

    /**
     * Secret HMAC key (base64, ≥ 32 bytes) that pseudonymises client IPs in audit events; in Azure a
     * Key Vault reference. Its id is recorded with each value so the key can rotate.
     */
    AUDIT_ORIGIN_KEY: z
      .string()
      .refine((v) => Buffer.from(v, 'base64').length >= 32, 'must be base64 of at least 32 bytes')
      .optional(),
    AUDIT_ORIGIN_KEY_ID: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._:-]{0,63}$/).default('origin-1'),

    /**
     * Retention policies as JSON: `{"default": <policy>, "tenants": {"<tenantId>": <policy>}}` (each a
     * shared/retention/policy.ts RetentionPolicy); anything absent uses the documented default.
     */
    RETENTION_POLICIES: z
      .string()
      .transform((text, ctx) => {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          ctx.addIssue({ code: 'custom', message: 'must be JSON' });
          return z.NEVER;
        }
      })
      .pipe(z.strictObject({ default: RetentionPolicySchema.optional(), tenants: z.record(z.string(), RetentionPolicySchema).default({}) }))
      .optional(),
    /** Minutes an upload URL stays valid (at most 15). */
    UPLOAD_URL_TTL_MINUTES: z.coerce.number().int().min(1).max(15).default(15),
    /** Fresh upload URLs one evidence slot may get while it is open (resumable uploads; each is audited). */
    UPLOAD_URL_MAX_RENEWALS: z.coerce.number().int().min(0).max(500).default(48),
    /** Largest accepted upload, in bytes. */
    MAX_UPLOAD_BYTES: positiveInt.default(2 * 1024 ** 3),
    /** How long the pipeline waits for one redaction attempt before retrying. */
    REDACTION_TIMEOUT_MINUTES: positiveInt.default(60),
    /** Redaction attempts before the evidence is quarantined. */
    REDACTION_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(10).default(3),
    /** The review rule of a tenant that has not chosen one (PUT /api/settings): always | when-needed | never. */
    REVIEW_DEFAULT: z.enum(['always', 'when-needed', 'never']).default('when-needed'),
    /** How long an item waits for its review before the original is deleted and the item quarantined. */
    REVIEW_DEADLINE_HOURS: z.coerce.number().int().min(1).max(24 * 30).default(72),
    /** Extra terms refused in free text, comma separated, on top of the built-in list. */
    SCREENING_EXTRA_TERMS: commaList.default([]),

    // Sharing with police (issue 4).
    /** Public base URL of this stamp's share page host, e.g. https://evidence-au.example.com (links are `<it>/s/<token>`). */
    PUBLIC_BASE_URL: z.url().optional(),
    /** Azure Communication Services Email: resource endpoint (managed identity) and verified sender address. */
    ACS_EMAIL__endpoint: z.url().optional(),
    ACS_EMAIL__clientId: z.string().optional(),
    ACS_EMAIL_SENDER: z.email().optional(),
    /**
     * Secret that signs agency webhooks (Standard Webhooks, HMAC-SHA256): base64 of 24–64 random bytes,
     * optionally prefixed `whsec_`; a Key Vault reference in Azure (the bootstrap job makes 48 bytes).
     */
    SHARE_WEBHOOK_SECRET: z
      .string()
      .refine((v) => {
        try {
          return secretKey(v).length > 0;
        } catch {
          return false;
        }
      }, 'must be base64 of 24 to 64 bytes (optionally prefixed whsec_)')
      .optional(),

    /**
     * Where the client address (share-link rate limit, audit origin) is taken from: only a source
     * the deployment guarantees, never a header the client can set. `socket`: the TCP peer (local
     * stack; its HTTP server appends the peer to X-Forwarded-For as the platform front end does);
     * `x-forwarded-for`: the hop the trusted front end appended, CLIENT_ADDRESS_HOPS from the right
     * (1 = the App Service / Functions front end, the stamp's default); `front-door`: Azure Front
     * Door's X-Azure-ClientIP, on requests whose X-Azure-FDID is FRONT_DOOR_ID only (others use the
     * X-Forwarded-For hop). Default: `socket` locally, `x-forwarded-for` in azure mode.
     */
    CLIENT_ADDRESS_SOURCE: z.enum(['socket', 'x-forwarded-for', 'front-door']).optional(),
    /** Trusted proxies that each append one X-Forwarded-For hop in front of the app (1-5). */
    CLIENT_ADDRESS_HOPS: z.coerce.number().int().min(1).max(5).default(1),
    /** The stamp's Azure Front Door profile id (X-Azure-FDID), with CLIENT_ADDRESS_SOURCE=front-door. */
    FRONT_DOOR_ID: z.uuid().optional(),

    // Investigator console sign-in in Azure: Entra ID authorization code + PKCE, as a public SPA client.
    /** The console's app registration (SPA platform, redirect URI `<stamp>/console/`). */
    CONSOLE_ENTRA_CLIENT_ID: z.uuid().optional(),
    /** Authority, e.g. https://login.microsoftonline.com/<tenant id> (https only; authorize and token endpoints live under it). */
    CONSOLE_ENTRA_AUTHORITY: z.url({ protocol: /^https$/ }).optional(),
    /** The API scope the console asks for, e.g. api://bystander/access (tokens carry the app roles as today). */
    CONSOLE_API_SCOPE: z.string().regex(/^[\w.:/-]{3,200}$/).optional(),

    /** Local only: where the embedded stack keeps its data. */
    BYSTANDER_DATA_DIR: z.string().default('.bystander'),
    /** Local only: run the CPU redaction worker inside the stack. */
    WORKER_ENABLED: bool.default(true),
  })
  .superRefine((c, ctx) => {
    if (c.CLIENT_ADDRESS_SOURCE === 'front-door' && !c.FRONT_DOOR_ID) {
      ctx.addIssue({ code: 'custom', path: ['FRONT_DOOR_ID'], message: 'required with CLIENT_ADDRESS_SOURCE=front-door (the X-Azure-FDID of the stamp\'s Front Door profile)' });
    }
    if (!c.STORAGE_CONNECTION_STRING && !(c.STORAGE__blobServiceUri && c.STORAGE__queueServiceUri)) {
      ctx.addIssue({
        code: 'custom',
        path: ['STORAGE__blobServiceUri'],
        message: 'set STORAGE__blobServiceUri and STORAGE__queueServiceUri (managed identity), or STORAGE_CONNECTION_STRING (Azurite only)',
      });
    }
    const consoleSignIn = [c.CONSOLE_ENTRA_CLIENT_ID, c.CONSOLE_ENTRA_AUTHORITY, c.CONSOLE_API_SCOPE];
    if (consoleSignIn.some(Boolean) && !consoleSignIn.every(Boolean)) {
      ctx.addIssue({ code: 'custom', path: ['CONSOLE_ENTRA_CLIENT_ID'], message: 'set CONSOLE_ENTRA_CLIENT_ID, CONSOLE_ENTRA_AUTHORITY and CONSOLE_API_SCOPE together (console sign-in)' });
    }
    if (c.BYSTANDER_MODE === 'azure') {
      if (c.STORAGE_CONNECTION_STRING) {
        ctx.addIssue({ code: 'custom', path: ['STORAGE_CONNECTION_STRING'], message: 'not allowed in azure mode: use identity-based STORAGE__blobServiceUri / STORAGE__queueServiceUri' });
      }
      if (c.COSMOS_KEY) {
        ctx.addIssue({ code: 'custom', path: ['COSMOS_KEY'], message: 'not allowed in azure mode: Cosmos DB local auth is disabled, the app uses its managed identity' });
      }
      if (!c.KEYVAULT__uri) {
        ctx.addIssue({ code: 'custom', path: ['KEYVAULT__uri'], message: 'required in azure mode (the stamp Key Vault holding the key-encryption key)' });
      }
      if (!c.AUDIT_ORIGIN_KEY) {
        ctx.addIssue({ code: 'custom', path: ['AUDIT_ORIGIN_KEY'], message: 'required in azure mode (a Key Vault reference to a 32-byte random secret)' });
      }
      if (c.CLIENT_ADDRESS_SOURCE === 'socket') {
        ctx.addIssue({ code: 'custom', path: ['CLIENT_ADDRESS_SOURCE'], message: 'socket is the local stack only: the Functions host gives the app no socket (use x-forwarded-for or front-door)' });
      }
      if (!c.AUTH__jwksUri) {
        ctx.addIssue({ code: 'custom', path: ['AUTH__jwksUri'], message: 'required in azure mode (the Entra ID tenant JWKS endpoint)' });
      }
    } else if (!c.AUTH_DEV_KEY_DIR) {
      ctx.addIssue({ code: 'custom', path: ['AUTH_DEV_KEY_DIR'], message: 'required in local mode' });
    }
  });

export type Config = z.infer<typeof ConfigSchema>;

export class ConfigError extends Error {
  override name = 'ConfigError';
}

/** Validates settings (default: process.env); throws one ConfigError naming every bad setting. */
export function loadConfig(env: Record<string, string | undefined> = process.env): Config {
  const known = Object.keys(ConfigSchema.shape ?? {});
  const picked = Object.fromEntries(
    Object.entries(env).filter(([k, v]) => v !== undefined && v !== '' && (known.length === 0 || known.includes(k))),
  );
  // App Service leaves an unresolvable Key Vault reference in place as literal text: never use it as a value.
  const unresolved = Object.keys(picked).filter((k) => /^@Microsoft\.KeyVault\(/i.test(String(picked[k])));
  const parsed = ConfigSchema.safeParse(picked);
  if (!parsed.success || unresolved.length) {
    const lines = [
      ...unresolved.map((k) => `  - ${k}: the Key Vault reference did not resolve (check the app identity's access to the vault and the secret name)`),
      ...(parsed.success ? [] : parsed.error.issues.map((i) => `  - ${i.path.join('.') || '(settings)'}: ${i.message}`)),
    ];
    throw new ConfigError(`Bystander cannot start: invalid settings\n${lines.join('\n')}`);
  }
  return parsed.data;
}
