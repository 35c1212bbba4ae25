import { z } from 'zod';
import type { EvidenceRecord, IncidentRecord } from '../domain/incident.js';
import { ProblemError, problems } from '../http/problem.js';
import { requireRole, type Principal } from '../auth/tokens.js';
import type { AuditSink, DocumentStore, Orchestrations } from '../ports/index.js';
import type { IncidentAuditReader } from '../ports/console.js';
import { readIncidentAudited } from './incident-access.js';

/**
 * The investigator console's per-incident reads (issue 13): the audit trail, each evidence item's
 * live pipeline status. Plain functions over the ports each one uses;
 * every read is tenant-scoped and audited before anything is returned.
 */

type IncidentPorts = { incidents: DocumentStore<IncidentRecord>; audit: AuditSink };

const AuditQuerySchema = z.strictObject({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  before: z.coerce.number().int().min(2).max(999_999_999_999).optional(),
});

/** `GET /api/incidents/{id}/audit`: who did what to this incident, newest first (ids and codes only). */
export function makeIncidentAuditTrail(ports: IncidentPorts, reader: IncidentAuditReader) {
  return async (principal: Principal, incidentId: string, query: Record<string, string>, origin?: string) => {
    requireRole(principal, ['investigator', 'admin']);
    const parsed = AuditQuerySchema.safeParse(query);
    if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
    const incident = await readIncidentAudited(ports, principal, incidentId, 'audit.read', origin);
    const page = await reader.forIncident(principal.tenantId, incident.id, parsed.data.limit, parsed.data.before);
    return {
      incidentId: incident.id,
      events: page.events
        .filter((e) => e.tenantId === principal.tenantId && e.target.incidentId === incident.id)
        .map((e) => ({
          seq: e.seq,
          at: e.at,
          actor: { type: e.actor.type, id: e.actor.id, ...(e.actor.role ? { role: e.actor.role } : {}) },
          action: e.action,
          outcome: e.outcome,
          ...(e.reason ? { reason: e.reason } : {}),
          target: {
            ...(e.target.evidenceId ? { evidenceId: e.target.evidenceId } : {}),
            ...(e.target.shareId ? { shareId: e.target.shareId } : {}),
            ...(e.target.version ? { version: e.target.version } : {}),
            ...(e.target.attempts ? { attempts: e.target.attempts } : {}),
          },
          channel: e.origin.channel,
        })),
      ...(page.nextBeforeSeq ? { nextBefore: page.nextBeforeSeq } : {}),
    };
  };
}

/** The orchestration's custom status (processEvidence): ids, stage names, numbers and codes only. */
const LiveStatusSchema = z.object({
  stage: z.enum(['inspecting', 'redacting', 'recording', 'publishing', 'published', 'quarantined', 'awaiting-review', 'review-rendering']),
  attempt: z.number().int().min(1).optional(),
  maxAttempts: z.number().int().min(1).optional(),
  code: z.string().max(64).optional(),
  /** Review: the render version shown (0 = automatic) or being rendered, and the deadline. */
  version: z.number().int().min(0).optional(),
  deadline: z.string().max(40).optional(),
});

function recordStatus(e: EvidenceRecord) {
  return {
    id: e.id,
    status: e.status,
    ...(e.quarantine ? { quarantine: { code: e.quarantine.code, reason: e.quarantine.reason } } : {}),
    ...(e.review ? { review: { reasons: e.review.reasons, deadline: e.review.deadline, state: e.review.state, renderVersion: e.review.renderVersion } } : {}),
  };
}

/**
 * `GET /api/incidents/{id}/evidence-status`: each evidence item's record status plus, while the
 * pipeline runs, the live stage from its orchestration (instance id = evidence id).
 */
export function makeEvidenceStatus(ports: IncidentPorts, orchestrations: () => Orchestrations) {
  return async (principal: Principal, incidentId: string, origin?: string) => {
    requireRole(principal, ['uploader', 'investigator', 'admin']);
    const incident = await readIncidentAudited(ports, principal, incidentId, 'incident.read', origin);
    const client = orchestrations();
    const evidence = await Promise.all(
      incident.evidence.map(async (e) => {
        if (e.status !== 'processing' && e.status !== 'awaiting-review') return recordStatus(e);
        const live = LiveStatusSchema.safeParse((await client.status(e.id))?.customStatus);
        return { ...recordStatus(e), ...(live.success ? { live: live.data } : {}) };
      }),
    );
    return { incidentId: incident.id, evidence };
  };
}
