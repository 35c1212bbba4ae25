import { z } from 'zod';
import { EVIDENCE_STATUSES, IncidentCategorySchema, IncidentOutcomeSchema } from './incident.js';

/**
 * Record lifecycle: legal holds, edits and their versions, privacy requests, and the names the
 * retention and deletion orchestrations share. As elsewhere, the strict schemas are the
 * minimisation policy: only the fields listed here are accepted or stored.
 */

const id = z.string().regex(/^[\w-]{1,64}$/, 'an id');

// ---------------------------------------------------------------- orchestrations -------------

export const RETENTION_SCHEDULE = 'retentionSchedule';
export const DELETE_INCIDENT = 'deleteIncident';
export const PRIVACY_REQUEST = 'privacyRequest';
/** Raised on a retention schedule when something it depends on changed (hold lifted, category/outcome edited). */
export const RETENTION_RECHECK_EVENT = 'RetentionRecheck';

/** One retention schedule per incident (ids only). */
export const retentionInstanceId = (tenantId: string, incidentId: string) => `retention-${tenantId}-${incidentId}`;
/** One deletion per incident: a second start (schedule, sweeper, erasure) starts nothing. */
export const deletionInstanceId = (tenantId: string, incidentId: string) => `delete-${tenantId}-${incidentId}`;
export const privacyInstanceId = (tenantId: string, requestId: string) => `privacy-${tenantId}-${requestId}`;

/** Ids only: what the retention and deletion orchestrations carry. */
export interface IncidentRef {
  tenantId: string;
  incidentId: string;
}

export type DeletionCause = 'retention' | 'sweeper' | 'erasure';

/** Storage for privacy-request export bundles (blob container). */
export const EXPORTS_CONTAINER = 'exports';
/** Queue of orchestration instances to purge once they are terminal (drained by the sweeper). */
export const PURGE_QUEUE = 'orchestration-purge';
/** Export bundles can be downloaded for this long, then they are deleted. */
export const EXPORT_TTL_DAYS = 7;

/** Items of a deletion certificate (mirrors shared/audit DeletionItemSchema). */
export type DeletionItem = {
  kind: 'blob' | 'blob-version' | 'record' | 'record-version' | 'share' | 'outbox' | 'wrapped-key' | 'orchestration' | 'report';
  id: string;
  sha256?: string;
};

// ---------------------------------------------------------------- legal hold -----------------

export const PlaceHoldSchema = z.strictObject({
  /** Why the incident must be kept (e.g. a court order reference). Kept in the record, never in the audit trail. */
  reason: z.string().trim().min(3).max(200),
});

// ---------------------------------------------------------------- edits and versions ---------

/** What a retailer may change after creation. Everything else is set by the pipeline or fixed. */
export const PatchIncidentSchema = z
  .strictObject({
    description: z.string().min(1).max(500).optional(),
    category: IncidentCategorySchema.optional(),
    outcome: IncidentOutcomeSchema.optional(),
  })
  .refine((p) => p.description !== undefined || p.category !== undefined || p.outcome !== undefined, 'change at least one of description, category, outcome');
export type PatchIncidentInput = z.infer<typeof PatchIncidentSchema>;

/** Fields a revert restores (pipeline-managed state such as evidence status is never reverted). */
export const REVERTIBLE_FIELDS = ['description', 'category', 'outcome'] as const;

/**
 * One superseded version of an incident record (container `incidentVersions`, pk /tenantId).
 * The snapshot keeps business fields only; the description stays sealed with the incident's data
 * key (so crypto-shredding covers versions too), and the wrapped key itself is never copied.
 */
export const IncidentVersionSchema = z.strictObject({
  /** `${incidentId}.v${version}` */
  id: z.string().regex(/^[\w-]{1,64}\.v\d{1,6}$/),
  tenantId: id,
  incidentId: id,
  version: z.number().int().min(1),
  /** When this version was written, by whom (opaque subject id or `system:<component>`), and which fields it changed. */
  at: z.string(),
  by: z.string().max(128),
  changed: z.array(z.string().max(64)).max(32),
  snapshot: z.strictObject({
    storeId: z.string(),
    occurredAt: z.string(),
    category: IncidentCategorySchema,
    outcome: IncidentOutcomeSchema,
    /** Sealed (field-encrypted) description, or '' when the record had no data key. */
    description: z.string(),
    deleteAfter: z.string().optional(),
    onLegalHold: z.boolean(),
    evidence: z.array(z.strictObject({ id: z.string(), status: z.enum(EVIDENCE_STATUSES) })).max(64),
  }),
});
export type IncidentVersion = z.infer<typeof IncidentVersionSchema>;

export const versionDocId = (incidentId: string, version: number) => `${incidentId}.v${version}`;

// ---------------------------------------------------------------- privacy requests -----------

export const PRIVACY_REQUEST_TYPES = ['access', 'erasure'] as const;

export const CreatePrivacyRequestSchema = z.strictObject({
  type: z.enum(PRIVACY_REQUEST_TYPES),
  incidentIds: z
    .array(id)
    .min(1)
    .max(50)
    .refine((ids) => new Set(ids).size === ids.length, 'incident ids must be unique'),
});
export type CreatePrivacyRequestInput = z.infer<typeof CreatePrivacyRequestSchema>;

export const PRIVACY_STATUSES = ['pending', 'running', 'completed', 'refused', 'partially-refused', 'expired', 'failed'] as const;

export const PrivacyResultSchema = z.strictObject({
  /** Kept for refused / not-found / exported items; erased incidents leave only a count. */
  incidentId: id.optional(),
  outcome: z.enum(['exported', 'erased', 'refused', 'not-found']),
  /** Short code, e.g. `legal-hold`. */
  reason: z.string().regex(/^[a-z][a-z0-9-]{0,63}$/).optional(),
});

export const PrivacyRequestRecordSchema = z.strictObject({
  id,
  tenantId: id,
  type: z.enum(PRIVACY_REQUEST_TYPES),
  status: z.enum(PRIVACY_STATUSES),
  /** The incidents concerned; for erasure, erased ids are removed once done (only counts remain). */
  incidentIds: z.array(id).max(50),
  createdAt: z.string(),
  /** Opaque subject id of the admin. */
  createdBy: z.string(),
  results: z.array(PrivacyResultSchema).max(50).default([]),
  erasedCount: z.number().int().min(0).optional(),
  export: z
    .strictObject({ blobName: z.string(), sha256: z.string().regex(/^[0-9a-f]{64}$/), sizeBytes: z.number().int().min(0), expiresAt: z.string() })
    .optional(),
  completedAt: z.string().optional(),
  expiredAt: z.string().optional(),
  updatedAt: z.string(),
});
export type PrivacyRequestRecord = z.infer<typeof PrivacyRequestRecordSchema>;

/** What the admin sees (no internal blob names). */
export function toPrivacyRequestView(r: PrivacyRequestRecord, now: Date) {
  const expired = !!r.export && now.getTime() >= Date.parse(r.export.expiresAt);
  return {
    id: r.id,
    type: r.type,
    status: expired && r.status === 'completed' ? 'expired' : r.status,
    incidentIds: r.incidentIds,
    results: r.results,
    ...(r.erasedCount !== undefined ? { erasedCount: r.erasedCount } : {}),
    createdAt: r.createdAt,
    completedAt: r.completedAt,
    download:
      r.export && !expired && r.status === 'completed'
        ? { url: `/api/privacy-requests/${r.id}/download`, expiresAt: r.export.expiresAt, sizeBytes: r.export.sizeBytes, sha256: r.export.sha256 }
        : undefined,
  };
}
