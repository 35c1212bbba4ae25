import { z } from 'zod';
import { KeepTracksSchema, RedactionEditsSchema, ReviewReasonSchema, SubjectHintSchema } from './redaction.js';
import { WrappedKeySchema } from '../crypto/key-wrapper.js';
import { TraceparentSchema } from './traceparent.js';

/**
 * The incident record and its input schema. The schemas ARE the data-minimisation policy: every
 * stored field is listed here, objects are strict (unknown fields are rejected, never stored), and no
 * field exists for special-category data.
 */

export const INCIDENT_CATEGORIES = ['theft', 'violence', 'criminal-damage', 'fraud', 'antisocial', 'other'] as const;
export const IncidentCategorySchema = z.enum(INCIDENT_CATEGORIES);
export type IncidentCategory = z.infer<typeof IncidentCategorySchema>;

export const INCIDENT_OUTCOMES = ['none', 'reported-to-police', 'prosecution'] as const;
export const IncidentOutcomeSchema = z.enum(INCIDENT_OUTCOMES);

export const ALLOWED_CONTENT_TYPES = {
  'video/mp4': 'video',
  'video/quicktime': 'video',
  'video/x-matroska': 'video',
  'video/x-msvideo': 'video',
  'video/mp2t': 'video',
  'image/jpeg': 'image',
  'image/png': 'image',
  'image/webp': 'image',
} as const;
export type AllowedContentType = keyof typeof ALLOWED_CONTENT_TYPES;
const contentTypes = Object.keys(ALLOWED_CONTENT_TYPES) as [AllowedContentType, ...AllowedContentType[]];

export const MAX_EVIDENCE_PER_INCIDENT = 20;

const fileName = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[\w.\- ()]+$/, 'letters, digits, spaces and . _ - ( ) only')
  .refine((s) => !s.startsWith('.') && !s.includes('..'), 'must not start with a dot or contain ".."');

export const DeclaredEvidenceSchema = z
  .object({
    fileName,
    contentType: z.enum(contentTypes),
    sizeBytes: z.number().int().positive(),
    sha256: z.string().regex(/^[0-9a-f]{64}$/, 'lower-case hex SHA-256').optional(),
    subjectHints: z.array(SubjectHintSchema).max(16).optional(),
    /** Track ids from an earlier redaction report of this file to keep visible (the engine's ids are deterministic). */
    keepTracks: KeepTracksSchema.optional(),
  })
  .strict();
export type DeclaredEvidence = z.infer<typeof DeclaredEvidenceSchema>;

export const CreateIncidentSchema = z
  .object({
    storeId: z.string().min(1).max(64).regex(/^[\w\-]+$/, 'letters, digits, _ and - only'),
    occurredAt: z.iso.datetime({ offset: true }),
    category: IncidentCategorySchema,
    /** Optional: an incident already reported to police (or prosecuted) is kept longer from the start. */
    outcome: IncidentOutcomeSchema.optional(),
    description: z.string().min(1).max(500),
    evidence: z.array(DeclaredEvidenceSchema).min(1).max(MAX_EVIDENCE_PER_INCIDENT),
  })
  .strict();
export type CreateIncidentInput = z.infer<typeof CreateIncidentSchema>;

export const EVIDENCE_STATUSES = ['awaiting-upload', 'processing', 'awaiting-review', 'published', 'quarantined', 'rejected'] as const;
export const EvidenceStatusSchema = z.enum(EVIDENCE_STATUSES);
export type EvidenceStatus = z.infer<typeof EvidenceStatusSchema>;

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** A tenant's review rule: every item, only items the engine is not sure of (default), or none (unsure → quarantine). */
export const REVIEW_MODES = ['always', 'when-needed', 'never'] as const;
export const ReviewModeSchema = z.enum(REVIEW_MODES);
export type ReviewMode = z.infer<typeof ReviewModeSchema>;

/** Why a reviewer turned a render down (a code, never free text). */
export const REJECT_REASONS = ['redaction-inadequate', 'subject-not-visible', 'wrong-file', 'other'] as const;
export const RejectReasonSchema = z.enum(REJECT_REASONS);

/**
 * An evidence item held for review (issue 13): why, until when, which render the reviewer sees
 * (`renderVersion` = the edit version it applied, 0 = the automatic render), the current edit set,
 * and the history of edits and decisions (opaque subject ids, never names). While under review the
 * original exists only sealed with the incident's data key (`original`); it is deleted on approval,
 * rejection or when the deadline passes.
 */
export const EvidenceReviewSchema = z
  .object({
    reasons: z.array(ReviewReasonSchema).max(16),
    since: z.string(),
    deadline: z.string(),
    state: z.enum(['ready', 'rendering', 'decided']),
    renderVersion: z.number().int().min(0),
    edits: RedactionEditsSchema.optional(),
    history: z
      .array(
        z
          .object({
            version: z.number().int().min(0),
            kind: z.enum(['edits', 'render-failed', 'approved', 'rejected', 'deadline']),
            by: z.string().max(128),
            at: z.string(),
            reason: z.string().max(64).optional(),
          })
          .strict(),
      )
      .max(400),
    original: z.object({ blobName: z.string(), storedBytes: z.number().int().positive() }).strict().optional(),
  })
  .strict();
export type EvidenceReview = z.infer<typeof EvidenceReviewSchema>;

export const EvidenceRecordSchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    incidentId: z.string(),
    fileName,
    contentType: z.enum(contentTypes),
    mediaKind: z.enum(['video', 'image']),
    declaredSizeBytes: z.number().int().positive(),
    declaredSha256: sha256.optional(),
    subjectHints: z.array(SubjectHintSchema),
    /** Storage form of subjectHints (field-encrypted); never present in memory, see sealed-incidents.ts. */
    sealedSubjectHints: z.string().optional(),
    /** Track ids to keep visible (ids only: no personal data). */
    keepTracks: KeepTracksSchema.optional(),
    status: EvidenceStatusSchema,
    uploadExpiresAt: z.string(),
    /** Upload URLs issued for this slot after the first (resumable uploads; bounded by UPLOAD_URL_MAX_RENEWALS). */
    uploadRenewals: z.number().int().min(0).optional(),
    /** The trace this item belongs to (W3C traceparent of its declaration): one evidence item, one trace. */
    traceparent: TraceparentSchema.optional(),
    original: z.object({ sha256, sizeBytes: z.number().int().min(0), receivedAt: z.string() }).strict().optional(),
    redacted: z
      .object({
        blobName: z.string(),
        sha256,
        sizeBytes: z.number().int().positive(),
        /** Size of the encrypted blob: checked before serving ranges (truncation). */
        storedBytes: z.number().int().positive(),
        contentType: z.string(),
        reportBlobName: z.string(),
      })
      .strict()
      .optional(),
    summary: z.unknown().optional(),
    quarantine: z.object({ code: z.string(), reason: z.string(), at: z.string() }).strict().optional(),
    /** Present once the item entered review (kept after the decision as its record). */
    review: EvidenceReviewSchema.optional(),
    originalDeletedAt: z.string().optional(),
    publishedAt: z.string().optional(),
    updatedAt: z.string(),
  })
  .strict();
export type EvidenceRecord = z.infer<typeof EvidenceRecordSchema>;

export const IncidentRecordSchema = z
  .object({
    id: z.string(),
    tenantId: z.string(),
    geography: z.string(),
    storeId: z.string(),
    occurredAt: z.string(),
    category: IncidentCategorySchema,
    outcome: IncidentOutcomeSchema,
    description: z.string(),
    evidence: z.array(EvidenceRecordSchema),
    createdAt: z.string(),
    /** Opaque id of the token subject that created it (no names or e-mail addresses). */
    createdBy: z.string(),
    updatedAt: z.string(),
    legalHold: z.object({ reason: z.string(), placedAt: z.string(), placedBy: z.string() }).strict().optional(),
    /** The incident's data key, wrapped by the geography's KEK (Key Vault); removed first on deletion. */
    dataKey: WrappedKeySchema.optional(),
    /** Computed from occurredAt and the retention policy; never extended by edits. */
    deleteAfter: z.string().optional(),
    /** Record version (1 at creation; each change through updateIncident adds one; see lifecycle.ts). */
    version: z.number().int().min(1).optional(),
    /** Who made this version (opaque subject id or `system:<component>`), and which top-level fields it changed. */
    updatedBy: z.string().max(128).optional(),
    changedFields: z.array(z.string().max(64)).max(32).optional(),
    /** Set by the deletion orchestration when it shreds the key: no hold or edit is accepted after that. */
    deletingAt: z.string().optional(),
  })
  .strict();
export type IncidentRecord = z.infer<typeof IncidentRecordSchema>;

/** What the API returns: the record minus internal blob names. */
export function toIncidentView(incident: IncidentRecord) {
  return {
    id: incident.id,
    storeId: incident.storeId,
    occurredAt: incident.occurredAt,
    category: incident.category,
    outcome: incident.outcome,
    description: incident.description,
    createdAt: incident.createdAt,
    updatedAt: incident.updatedAt,
    legalHold: incident.legalHold ? { reason: incident.legalHold.reason, placedAt: incident.legalHold.placedAt } : undefined,
    deleteAfter: incident.deleteAfter,
    evidence: incident.evidence.map((e) => ({
      id: e.id,
      fileName: e.fileName,
      contentType: e.contentType,
      mediaKind: e.mediaKind,
      status: e.status,
      original: e.original ? { sha256: e.original.sha256, sizeBytes: e.original.sizeBytes } : undefined,
      redacted: e.redacted ? { sha256: e.redacted.sha256, sizeBytes: e.redacted.sizeBytes, contentType: e.redacted.contentType } : undefined,
      summary: e.summary,
      quarantine: e.quarantine,
      review: e.review ? { reasons: e.review.reasons, since: e.review.since, deadline: e.review.deadline, state: e.review.state, renderVersion: e.review.renderVersion } : undefined,
      publishedAt: e.publishedAt,
    })),
  };
}

/** Blob names: one folder per tenant and incident, so deletion and isolation are prefix operations. */
export const blobNames = {
  ingest: (tenantId: string, incidentId: string, evidenceId: string) => `${tenantId}/${incidentId}/${evidenceId}`,
  redacted: (tenantId: string, incidentId: string, evidenceId: string) => `${tenantId}/${incidentId}/${evidenceId}/redacted`,
  report: (tenantId: string, incidentId: string, evidenceId: string) => `${tenantId}/${incidentId}/${evidenceId}/report.json`,
  /** The original while under review, sealed with the incident's data key (container `evidence`). */
  sealedOriginal: (tenantId: string, incidentId: string, evidenceId: string) => `${tenantId}/${incidentId}/${evidenceId}/original.sealed`,
  parseIngest(name: string): { tenantId: string; incidentId: string; evidenceId: string } | undefined {
    const m = /^([\w-]{1,64})\/([\w-]{1,64})\/([\w-]{1,64})$/.exec(name);
    return m ? { tenantId: m[1]!, incidentId: m[2]!, evidenceId: m[3]! } : undefined;
  },
};

export const CONTAINERS = { ingest: 'ingest', evidence: 'evidence', quarantine: 'quarantine', reports: 'reports' } as const;
export const QUEUES = { jobs: 'redaction-jobs', results: 'redaction-results', jobsPoison: 'redaction-jobs-poison', resultsPoison: 'redaction-results-poison' } as const;
