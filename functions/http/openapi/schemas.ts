import { z } from 'zod';
import { ALLOWED_CONTENT_TYPES, CreateIncidentSchema, EvidenceStatusSchema, IncidentCategorySchema, IncidentOutcomeSchema, toIncidentView } from '../../../shared/domain/incident.js';
import { CreateShareSchema, ShareAccessCountsSchema, ShareAccessModeSchema, SharePurposeSchema, ShareStatusSchema, toShareView } from '../../../shared/domain/share.js';
import {
  CreatePrivacyRequestSchema,
  PatchIncidentSchema,
  PlaceHoldSchema,
  PRIVACY_REQUEST_TYPES,
  PRIVACY_STATUSES,
  PrivacyResultSchema,
  toPrivacyRequestView,
} from '../../../shared/domain/lifecycle.js';
import { CreateWebhookSchema, toWebhookView } from '../../../shared/webhooks/endpoint.js';
import { WebhookEventTypeSchema, WebhookPayloadSchema } from '../../../shared/webhooks/events.js';
import type { UploadSlot } from '../../../shared/usecases/incidents.js';
import { RenewUploadUrlSchema, type UploadSession } from '../../../shared/uploads/sessions.js';
import { StagedBlocksSchema } from '../../../shared/uploads/blocks.js';
import { DevSignInSchema } from '../../../shared/usecases/console-sign-in.js';
import { ApproveReviewSchema, RejectReviewSchema, ReviewEditsRequestSchema, getReview } from '../../../shared/usecases/review.js';
import { RedactionEditsSchema, ReviewReasonSchema } from '../../../shared/domain/redaction.js';
import { ReviewModeSchema } from '../../../shared/domain/incident.js';
import { UpdateTenantSettingsSchema } from '../../../shared/domain/tenant-settings.js';

/**
 * The schemas of the OpenAPI document. Request bodies are the very zod schemas the use cases parse
 * with; responses are described here, strict, and pinned to the view functions the handlers return:
 * the type assertions at the bottom fail to compile when a view gains or changes a field, and the
 * contract test parses real view output with these schemas (an extra field fails there).
 */

const sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const contentTypes = Object.keys(ALLOWED_CONTENT_TYPES) as [keyof typeof ALLOWED_CONTENT_TYPES, ...(keyof typeof ALLOWED_CONTENT_TYPES)[]];

export const ProblemSchema = z
  .object({
    type: z.string().describe('Stable problem type URI'),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    unknownFields: z.array(z.string()).optional().describe('Validation: fields that are not accepted'),
    errors: z.array(z.strictObject({ path: z.string(), message: z.string() })).optional().describe('Validation: each failed rule'),
    field: z.string().optional().describe('Screening: the field that contains a refused phrase'),
    phrase: z.string().optional().describe('Screening: the phrase as written'),
    retention: z.record(z.string(), z.unknown()).optional().describe('retention-ended: the rule and the dates'),
  })
  .loose()
  .describe('RFC 7807 problem details (application/problem+json)');

export const EvidenceViewSchema = z.strictObject({
  id: z.string(),
  fileName: z.string(),
  contentType: z.enum(contentTypes),
  mediaKind: z.enum(['video', 'image']),
  status: EvidenceStatusSchema,
  original: z.strictObject({ sha256, sizeBytes: z.number().int().min(0) }).optional(),
  redacted: z.strictObject({ sha256, sizeBytes: z.number().int().positive(), contentType: z.string() }).optional(),
  summary: z.unknown().optional().describe('Redaction summary of the worker report (counts, verification); no images'),
  quarantine: z.strictObject({ code: z.string(), reason: z.string(), at: z.string() }).optional(),
  review: z
    .strictObject({ reasons: z.array(ReviewReasonSchema), since: z.string(), deadline: z.string(), state: z.enum(['ready', 'rendering', 'decided']), renderVersion: z.number().int().min(0) })
    .optional()
    .describe('Present once the item was held for review'),
  publishedAt: z.string().optional(),
});

export const IncidentViewSchema = z.strictObject({
  id: z.string(),
  storeId: z.string(),
  occurredAt: z.string(),
  category: IncidentCategorySchema,
  outcome: IncidentOutcomeSchema,
  description: z.string(),
  createdAt: z.string(),
  updatedAt: z.string(),
  legalHold: z.strictObject({ reason: z.string(), placedAt: z.string() }).optional(),
  deleteAfter: z.string().optional(),
  evidence: z.array(EvidenceViewSchema),
});

export const UploadSlotSchema = z.strictObject({
  evidenceId: z.string(),
  fileName: z.string(),
  method: z.literal('PUT'),
  url: z.string().describe('Create-only upload URL (SAS), valid until expiresAt'),
  headers: z.record(z.string(), z.string()).describe('Headers to send with the PUT'),
  expiresAt: z.string(),
});

export const UploadSessionSchema = z.strictObject({
  evidenceId: z.string(),
  status: EvidenceStatusSchema.describe('awaiting-upload while the slot is open'),
  contentType: z.enum(contentTypes),
  declaredSizeBytes: z.number().int().positive(),
  declaredSha256: sha256.optional(),
  blockSize: z.number().int().positive().describe('Block size for Put Block (4 MiB, doubled until the file fits in 50,000 blocks)'),
  expiresAt: z.string().describe('When the newest upload URL expires'),
  renewalsLeft: z.number().int().min(0),
  staged: StagedBlocksSchema.describe('committed: the blob exists; blocks: staged (Put Block) and not yet committed, with their ids and sizes'),
  method: z.literal('PUT').optional(),
  url: z.string().optional().describe('POST only: a fresh create-only upload URL (SAS) for Put Block / Put Block List (or one PUT)'),
  headers: z.record(z.string(), z.string()).optional(),
});

export const CreatedIncidentSchema = z.strictObject({ incident: IncidentViewSchema, uploads: z.array(UploadSlotSchema) });

export const ShareViewSchema = z.strictObject({
  id: z.string(),
  incidentId: z.string(),
  evidenceIds: z.array(z.string()),
  recipient: z.strictObject({ agency: z.string(), officerEmail: z.string(), webhook: z.boolean() }),
  purpose: SharePurposeSchema,
  accessMode: ShareAccessModeSchema,
  status: ShareStatusSchema,
  createdAt: z.string(),
  createdBy: z.string(),
  expiresAt: z.string(),
  notifiedAt: z.string().optional(),
  revokedAt: z.string().optional(),
  endedAt: z.string().optional(),
  access: ShareAccessCountsSchema,
});
export const ShareListSchema = z.strictObject({ incidentId: z.string(), shares: z.array(ShareViewSchema) });

export const VersionListSchema = z.strictObject({
  incidentId: z.string(),
  current: z.number().int().min(1),
  versions: z.array(z.strictObject({ version: z.number().int().min(1), at: z.string(), by: z.string(), changed: z.array(z.string()), current: z.boolean() })),
});
export const RevertResultSchema = z.strictObject({
  revertedTo: z.number().int().min(1),
  version: z.number().int().min(1),
  descriptionRestored: z.boolean(),
  incident: IncidentViewSchema,
});

export const PrivacyRequestViewSchema = z.strictObject({
  id: z.string(),
  type: z.enum(PRIVACY_REQUEST_TYPES),
  status: z.enum(PRIVACY_STATUSES),
  incidentIds: z.array(z.string()),
  results: z.array(PrivacyResultSchema),
  erasedCount: z.number().int().min(0).optional(),
  createdAt: z.string(),
  completedAt: z.string().optional(),
  download: z.strictObject({ url: z.string(), expiresAt: z.string(), sizeBytes: z.number().int().min(0), sha256 }).optional(),
});

const DependencySchema = z.strictObject({ ok: z.boolean(), detail: z.string().optional() });
export const HealthSchema = z.strictObject({
  status: z.enum(['ok', 'degraded']),
  geography: z.string(),
  dependencies: z.record(z.string(), DependencySchema).describe('blobStorage, queueStorage, cosmos, keyVault'),
  backlog: z
    .strictObject({ redactionJobs: z.strictObject({ messages: z.number().int().min(0), oldestSeconds: z.number().int().min(0).nullable() }) })
    .optional()
    .describe('Redaction jobs waiting, and how long the oldest has waited'),
});
export const LivenessSchema = z.strictObject({ status: z.literal('alive') });
export const ReadinessSchema = z.strictObject({ status: z.enum(['ready', 'not-ready']), dependencies: z.record(z.string(), DependencySchema) });

export const WebhookViewSchema = z.strictObject({ id: z.string(), url: z.string(), events: z.array(WebhookEventTypeSchema), createdAt: z.string() });
export const CreatedWebhookSchema = WebhookViewSchema.extend({
  secret: z.string().regex(/^whsec_[A-Za-z0-9+/]+={0,2}$/).describe('Standard Webhooks signing secret; shown in this response only'),
});
export const WebhookListSchema = z.strictObject({ webhooks: z.array(WebhookViewSchema) });

const KeyframeBoxSchema = z.strictObject({ frame: z.number().int().min(0), x: z.number(), y: z.number(), w: z.number(), h: z.number() });
export const ReviewViewSchema = z.strictObject({
  evidenceId: z.string(),
  status: EvidenceStatusSchema,
  state: z.enum(['ready', 'rendering', 'decided']),
  reasons: z.array(ReviewReasonSchema),
  since: z.string(),
  deadline: z.string(),
  render: z
    .strictObject({
      version: z.number().int().min(0).describe('The edit version this render applied (0 = the automatic render)'),
      contentType: z.string().optional(),
      width: z.number().optional(),
      height: z.number().optional(),
      fps: z.number().optional(),
      frames: z.number().optional(),
      durationSeconds: z.number().optional(),
    }),
  tracks: z.array(
    z.strictObject({ id: z.number().int().min(0), class: z.enum(['face', 'plate', 'person']), kept: z.boolean(), firstFrame: z.number().int(), lastFrame: z.number().int(), boxes: z.array(KeyframeBoxSchema) }),
  ),
  failedFrames: z.array(z.number().int()),
  edits: RedactionEditsSchema.nullable(),
  history: z.array(
    z.strictObject({ version: z.number().int().min(0), kind: z.enum(['edits', 'render-failed', 'approved', 'rejected', 'deadline']), by: z.string(), at: z.string(), reason: z.string().optional() }),
  ),
  previewUrl: z.string(),
});
export const ReviewAcceptedSchema = z.strictObject({ version: z.number().int().min(1), state: z.literal('rendering') });
export const ReviewDecidedSchema = z.strictObject({ status: z.enum(['publishing', 'quarantined']) });
export const TenantSettingsSchema = z.strictObject({ review: ReviewModeSchema, reviewDeadlineHours: z.number().int().min(1) });

/** Request bodies: the schemas the use cases validate with (input side: defaults are optional). */
export const requestSchemas = {
  CreateIncident: CreateIncidentSchema,
  PatchIncident: PatchIncidentSchema,
  PlaceHold: PlaceHoldSchema,
  CreateShare: CreateShareSchema,
  CreatePrivacyRequest: CreatePrivacyRequestSchema,
  CreateWebhook: CreateWebhookSchema,
  RenewUploadUrl: RenewUploadUrlSchema,
  DevSignIn: DevSignInSchema,
  ReviewEdits: ReviewEditsRequestSchema,
  ApproveReview: ApproveReviewSchema,
  RejectReview: RejectReviewSchema,
  UpdateTenantSettings: UpdateTenantSettingsSchema,
} as const;

/** Response bodies. */
export const responseSchemas = {
  Problem: ProblemSchema,
  Health: HealthSchema,
  Liveness: LivenessSchema,
  Readiness: ReadinessSchema,
  Incident: IncidentViewSchema,
  CreatedIncident: CreatedIncidentSchema,
  UploadSession: UploadSessionSchema,
  Share: ShareViewSchema,
  ShareList: ShareListSchema,
  VersionList: VersionListSchema,
  RevertResult: RevertResultSchema,
  PrivacyRequest: PrivacyRequestViewSchema,
  Webhook: WebhookViewSchema,
  CreatedWebhook: CreatedWebhookSchema,
  WebhookList: WebhookListSchema,
  Review: ReviewViewSchema,
  ReviewAccepted: ReviewAcceptedSchema,
  ReviewDecided: ReviewDecidedSchema,
  TenantSettings: TenantSettingsSchema,
  /** Not an HTTP response: the body Bystander POSTs to a registered webhook endpoint. */
  WebhookPayload: WebhookPayloadSchema,
} as const;

export type RequestSchemaName = keyof typeof requestSchemas;
export type ResponseSchemaName = keyof typeof responseSchemas;

// Compile-time pins: each view function's result must be assignable to its documented schema.
type Out<S extends z.ZodType> = z.output<S>;
type Assert<T extends true> = T;
type Fits<V, S extends z.ZodType> = [V] extends [Out<S>] ? true : false;
export type ViewPins = [
  Assert<Fits<ReturnType<typeof toIncidentView>, typeof IncidentViewSchema>>,
  Assert<Fits<ReturnType<typeof toShareView>, typeof ShareViewSchema>>,
  Assert<Fits<ReturnType<typeof toPrivacyRequestView>, typeof PrivacyRequestViewSchema>>,
  Assert<Fits<ReturnType<typeof toWebhookView>, typeof WebhookViewSchema>>,
  Assert<Fits<UploadSlot, typeof UploadSlotSchema>>,
  Assert<Fits<UploadSession, typeof UploadSessionSchema>>,
  Assert<Fits<Awaited<ReturnType<typeof getReview>>, typeof ReviewViewSchema>>,
];
