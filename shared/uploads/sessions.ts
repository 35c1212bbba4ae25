import { z } from 'zod';
import { CONTAINERS, blobNames, type EvidenceRecord, type IncidentRecord } from '../domain/incident.js';
import { ProblemError, problems } from '../http/problem.js';
import { requireRole, type Principal } from '../auth/tokens.js';
import type { AuditSink, Clock, DocumentStore } from '../ports/index.js';
import type { UploadStorage } from '../ports/uploads.js';
import { recordUserAction } from '../usecases/audit-actors.js';
import type { AuditAction } from '../audit/event.js';
import { findTenantIncident } from '../usecases/incident-access.js';
import { updateIncident } from '../usecases/update-incident.js';
import { blockSizeFor, type StagedBlocks } from './blocks.js';

/** `POST …/upload-url` takes no fields (an empty JSON object); anything else is refused. */
export const RenewUploadUrlSchema = z.strictObject({}).describe('No fields: the slot is named by the path');

export interface UploadSession {
  evidenceId: string;
  /** `awaiting-upload` while the slot is open. */
  status: EvidenceRecord['status'];
  contentType: EvidenceRecord['contentType'];
  declaredSizeBytes: number;
  declaredSha256?: string;
  /** The block size the CLI uses for this size (4 MiB, doubled until ≤ 50,000 blocks). */
  blockSize: number;
  /** When the newest upload URL expires. */
  expiresAt: string;
  renewalsLeft: number;
  /** `committed`: the blob exists (the upload is finished); `blocks`: staged, not yet committed. */
  staged: StagedBlocks;
  /** Only when a URL was issued (POST). */
  method?: 'PUT';
  url?: string;
  headers?: Record<string, string>;
}

export interface UploadSessionPorts {
  incidents: DocumentStore<IncidentRecord>;
  audit: AuditSink;
  clock: Clock;
  storage: UploadStorage;
  limits: { urlTtlMinutes: number; maxRenewals: number };
}

const ROLES = ['uploader', 'investigator', 'admin'] as const;
const ID = /^[\w-]{1,64}$/;

/**
 * The server side of resumable uploads: the state of an open evidence slot (its blocks) and a fresh
 * create-only URL for it, at most `maxRenewals` times, each one audited (`evidence.upload-slot`,
 * reason `renewal-<n>`, `state` for a read, or the refusal's code). Tenant-scoped: another
 * tenant's slot is a 404 like a missing one.
 */
export function makeUploadSessions(ports: UploadSessionPorts) {
  const { incidents, audit, clock, storage, limits } = ports;

  async function slotOf(principal: Principal, incidentId: string, evidenceId: string, action: AuditAction, origin: string | undefined) {
    requireRole(principal, [...ROLES]);
    const target = { incidentId: incidentId.slice(0, 64), evidenceId: evidenceId.slice(0, 64) };
    const found = ID.test(evidenceId) ? await findTenantIncident({ incidents }, principal.tenantId, incidentId) : undefined;
    const evidence = found?.doc.evidence.find((e) => e.id === evidenceId);
    if (!evidence) {
      await recordUserAction(audit, principal, { action, target, outcome: 'denied', reason: 'not-found' }, origin);
      throw new ProblemError(problems.notFound(`evidence ${target.evidenceId}`));
    }
    return { evidence, target, name: blobNames.ingest(principal.tenantId, incidentId, evidenceId) };
  }

  function view(evidence: EvidenceRecord, staged: StagedBlocks, expiresAt: string): UploadSession {
    return {
      evidenceId: evidence.id,
      status: evidence.status,
      contentType: evidence.contentType,
      declaredSizeBytes: evidence.declaredSizeBytes,
      ...(evidence.declaredSha256 ? { declaredSha256: evidence.declaredSha256 } : {}),
      blockSize: blockSizeFor(evidence.declaredSizeBytes),
      expiresAt,
      renewalsLeft: Math.max(0, limits.maxRenewals - (evidence.uploadRenewals ?? 0)),
      staged,
    };
  }

  return {
    /** `GET …/upload`: the slot's state and the blocks the service holds (no URL, no renewal). */
    async state(principal: Principal, incidentId: string, evidenceId: string, origin?: string): Promise<UploadSession> {
      const { evidence, target, name } = await slotOf(principal, incidentId, evidenceId, 'evidence.upload-slot', origin);
      await recordUserAction(audit, principal, { action: 'evidence.upload-slot', target, outcome: 'allowed', reason: 'state' }, origin);
      const staged = evidence.status === 'awaiting-upload' ? await storage.stagedBlocks(CONTAINERS.ingest, name) : { committed: true, blocks: [] };
      return view(evidence, staged, evidence.uploadExpiresAt);
    },

    /** `POST …/upload-url`: a fresh create-only URL for the same open slot (bounded, audited). */
    async renew(principal: Principal, incidentId: string, evidenceId: string, body: unknown, origin?: string): Promise<UploadSession> {
      const parsed = RenewUploadUrlSchema.safeParse(body ?? {});
      if (!parsed.success) throw new ProblemError(problems.validation(parsed.error));
      const action = 'evidence.upload-slot';
      const { evidence, target, name } = await slotOf(principal, incidentId, evidenceId, action, origin);
      const refuse = async (reason: string, detail: string): Promise<never> => {
        await recordUserAction(audit, principal, { action, target, outcome: 'denied', reason }, origin);
        throw new ProblemError(problems.conflict(detail));
      };
      if (evidence.status !== 'awaiting-upload') await refuse('slot-closed', `the upload slot is closed (evidence is ${evidence.status})`);
      const used = evidence.uploadRenewals ?? 0;
      if (used >= limits.maxRenewals) await refuse('renewals-exhausted', `the upload slot has had all ${limits.maxRenewals} URL renewals; declare the evidence again`);
      if (await storage.getProperties(CONTAINERS.ingest, name)) await refuse('already-uploaded', 'the file was already committed to this slot and is being checked');

      const now = clock.now();
      const expiresAt = new Date(now.getTime() + limits.urlTtlMinutes * 60_000).toISOString();
      let renewal = 0;
      // Audit first (a failed write refuses the renewal), then the record, then the URL.
      await recordUserAction(audit, principal, { action, target, outcome: 'succeeded', reason: `renewal-${used + 1}` }, origin);
      const updated = await updateIncident({ incidents, clock }, principal.tenantId, incidentId, (incident) => {
        const e = incident.evidence.find((x) => x.id === evidenceId);
        if (!e || e.status !== 'awaiting-upload' || (e.uploadRenewals ?? 0) >= limits.maxRenewals) return undefined;
        renewal = (e.uploadRenewals ?? 0) + 1;
        e.uploadRenewals = renewal;
        e.uploadExpiresAt = expiresAt;
        e.updatedAt = now.toISOString();
        return incident;
      }, { by: principal.subject });
      const current = updated.evidence.find((e) => e.id === evidenceId)!;
      if (renewal === 0) await refuse('slot-closed', `the upload slot closed meanwhile (evidence is ${current.status})`);
      const url = await storage.createUploadUrl(CONTAINERS.ingest, name, new Date(expiresAt));
      const staged = await storage.stagedBlocks(CONTAINERS.ingest, name);
      return {
        ...view(current, staged, expiresAt),
        method: 'PUT',
        url,
        headers: { 'x-ms-blob-type': 'BlockBlob', 'content-type': current.contentType },
      };
    },
  };
}

export type UploadSessions = ReturnType<typeof makeUploadSessions>;
