import { createHash } from 'node:crypto';
import { z } from 'zod';
import { EvidenceStatusSchema, IncidentCategorySchema } from '../domain/incident.js';
import { ProblemError, problems } from '../http/problem.js';
import { requireRole, type Principal } from '../auth/tokens.js';
import type { AuditSink } from '../ports/index.js';
import type { IncidentIndex, IncidentListFilter } from '../ports/console.js';
import { recordUserAction } from './audit-actors.js';

export const LIST_DEFAULT_LIMIT = 25;
export const LIST_MAX_LIMIT = 100;

const utcInstant = z.iso.datetime({ offset: true }).transform((s) => new Date(s).toISOString());

/** `GET /api/incidents` query: every parameter named here, anything else refused. */
export const ListIncidentsQuerySchema = z
  .strictObject({
    storeId: z.string().min(1).max(64).regex(/^[\w-]+$/, 'letters, digits, _ and - only').optional(),
    from: utcInstant.optional(),
    to: utcInstant.optional(),
    category: IncidentCategorySchema.optional(),
    status: EvidenceStatusSchema.optional(),
    limit: z.coerce.number().int().min(1).max(LIST_MAX_LIMIT).default(LIST_DEFAULT_LIMIT),
    continuation: z.string().min(1).max(4096).regex(/^[A-Za-z0-9_-]+$/, 'an opaque token from a previous page').optional(),
  })
  .refine((q) => !q.from || !q.to || q.from < q.to, { path: ['to'], message: 'must be after from' });
export type ListIncidentsQuery = z.input<typeof ListIncidentsQuerySchema>;

/** Query parameters as an object; a parameter given twice is refused (never silently one of them). */
export function queryObject(params: URLSearchParams): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of params) {
    if (k in out) throw new ProblemError(problems.badRequest(`query parameter ${k.slice(0, 32)} is given more than once`));
    out[k] = v;
  }
  return out;
}

/** Binds a continuation token to the tenant and filter it was issued for (a token is not a query). */
function fingerprint(tenantId: string, filter: IncidentListFilter): string {
  const canonical = JSON.stringify([tenantId, filter.storeId ?? null, filter.from ?? null, filter.to ?? null, filter.category ?? null, filter.status ?? null]);
  return createHash('sha256').update(canonical).digest('base64url').slice(0, 22);
}

function wrapToken(tenantId: string, filter: IncidentListFilter, storeToken: string): string {
  return Buffer.from(JSON.stringify({ f: fingerprint(tenantId, filter), c: storeToken })).toString('base64url');
}

function unwrapToken(tenantId: string, filter: IncidentListFilter, token: string): string {
  let parsed: unknown;
  try {
    parsed = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
  } catch {
    parsed = undefined;
  }
  const shape = z.strictObject({ f: z.string(), c: z.string().min(1) }).safeParse(parsed);
  if (!shape.success || shape.data.f !== fingerprint(tenantId, filter)) {
    throw new ProblemError(problems.badRequest('continuation does not belong to this query (use the token of the previous page with the same filters)'));
  }
  return shape.data.c;
}

/**
 * A tenant's incidents, newest first, with filters and continuation tokens (the console's list and
 * any retailer system). Minimised rows only; the read is audited (`incident.list`).
 */
export function makeListIncidents(index: IncidentIndex, audit: AuditSink) {
  return async (principal: Principal, query: Record<string, string>, origin?: string) => {
    requireRole(principal, ['uploader', 'investigator', 'admin']);
    const parsed = ListIncidentsQuerySchema.safeParse(query);
    if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
    const { limit, continuation, ...rest } = parsed.data;
    const filter: IncidentListFilter = Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined));
    const storeToken = continuation ? unwrapToken(principal.tenantId, filter, continuation) : undefined;
    await recordUserAction(audit, principal, { action: 'incident.list', target: {}, outcome: 'allowed' }, origin);
    const page = await index.page(principal.tenantId, filter, limit, storeToken);
    return {
      incidents: page.rows,
      ...(page.continuation ? { continuation: wrapToken(principal.tenantId, filter, page.continuation) } : {}),
    };
  };
}
