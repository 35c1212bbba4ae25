import { z } from 'zod';
import { TraceparentSchema } from './traceparent.js';
import { WrappedKeySchema } from '../crypto/key-wrapper.js';

/**
 * Contract between the pipeline and the redaction worker (queue `redaction-jobs` and
 * `redaction-results`). Both sides validate with these schemas; unknown fields are rejected.
 */

export const BoxSchema = z
  .object({
    x: z.number().min(0),
    y: z.number().min(0),
    w: z.number().positive(),
    h: z.number().positive(),
  })
  .strict();
export type Box = z.infer<typeof BoxSchema>;

export const PointSchema = z.object({ x: z.number().min(0), y: z.number().min(0) }).strict();

/**
 * The person the uploader wants kept visible: a moment in the media and either a box (pixels)
 * around their body or their face, or a point on them.
 */
export const SubjectHintSchema = z
  .object({
    atSeconds: z.number().min(0).max(24 * 3600),
    box: BoxSchema.optional(),
    point: PointSchema.optional(),
  })
  .strict()
  .refine((h) => (h.box === undefined) !== (h.point === undefined), { message: 'a subject hint has either a box or a point' });
export type SubjectHint = z.infer<typeof SubjectHintSchema>;

/** Track ids from an earlier run's report to keep visible (the engine's ids are deterministic). */
export const KeepTracksSchema = z.array(z.number().int().min(0).max(1_000_000)).max(64);
/** What is obscured of people other than the subject: their heads (default) or their whole bodies. */
export const BystanderModeSchema = z.enum(['heads', 'bodies']);

/**
 * A box a reviewer drew over the redacted preview at `atSeconds`, obscured from `fromSeconds` to
 * `toSeconds`. It follows the track it lies on (the person or face track with the largest overlap at
 * `atSeconds`), moving with that track's box; where no track lies under it, it stays where drawn.
 */
export const ReviewBoxSchema = z
  .object({
    atSeconds: z.number().min(0).max(24 * 3600),
    fromSeconds: z.number().min(0).max(24 * 3600),
    toSeconds: z.number().min(0).max(24 * 3600),
    box: BoxSchema,
  })
  .strict()
  .refine((b) => b.fromSeconds <= b.atSeconds && b.atSeconds <= b.toSeconds, { message: 'a review box needs fromSeconds ≤ atSeconds ≤ toSeconds' });
export type ReviewBox = z.infer<typeof ReviewBoxSchema>;

const TrackIdsSchema = z.array(z.number().int().min(0).max(1_000_000)).max(64);

/**
 * A reviewer's edits to an automatic redaction (the whole set each time: version n replaces n−1).
 * Track ids are those of the redaction report the reviewer saw (deterministic for the same input and
 * options; edits are applied after tracking, so they never change the ids).
 */
export const RedactionEditsSchema = z
  .object({
    /** Edit version (1 = the first edit of this evidence item); echoed in the report. */
    version: z.number().int().min(1).max(1000),
    /** Tracks kept visible as the subject (besides subject hints and the declaration's keep-track ids). */
    keepTracks: TrackIdsSchema.optional(),
    /** Tracks obscured even where a hint or keep-track id would keep them. */
    obscureTracks: TrackIdsSchema.optional(),
    /** Person tracks obscured whole (body, not only the head). */
    obscureBodies: TrackIdsSchema.optional(),
    /** Boxes drawn by the reviewer, obscured over their span. */
    boxes: z.array(ReviewBoxSchema).max(64).optional(),
  })
  .strict();
export type RedactionEdits = z.infer<typeof RedactionEditsSchema>;

/**
 * Why the engine is not sure of a render (a person must review it before it is published):
 * - `verifier-found-faces`: the verifier still found faces outside the obscured regions after the correction rounds
 *   (the review render holds them obscured, see the worker README);
 * - `faces-below-verified-size`: faces were obscured that are smaller than the verifier can check;
 * - `subject-ambiguous` / `subject-not-matched`: a subject hint matched several people / nobody (everyone obscured);
 * - `subject-lost`: the subject's track covers too little of the clip (it was lost and the rest obscured);
 * - `keep-track-missing`: a keep-track id names no track of this run.
 */
export const ReviewReasonSchema = z.enum(['verifier-found-faces', 'faces-below-verified-size', 'subject-ambiguous', 'subject-not-matched', 'subject-lost', 'keep-track-missing']);
export type ReviewReason = z.infer<typeof ReviewReasonSchema>;

export const RedactionTargetSchema = z.enum(['faces', 'plates']);
export type RedactionTarget = z.infer<typeof RedactionTargetSchema>;
export const ObscureStyleSchema = z.enum(['pixelate', 'blur', 'solid']);
export type ObscureStyle = z.infer<typeof ObscureStyleSchema>;

export const MediaKindSchema = z.enum(['video', 'image']);
export type MediaKind = z.infer<typeof MediaKindSchema>;

const BlobRefSchema = z.object({ container: z.string().min(1), name: z.string().min(1) }).strict();
export type BlobRef = z.infer<typeof BlobRefSchema>;

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

export const RedactionJobSchema = z
  .object({
    version: z.literal(1),
    jobId: z.string().min(1).max(200),
    tenantId: z.string().min(1).max(64),
    incidentId: z.string().min(1).max(64),
    evidenceId: z.string().min(1).max(64),
    attempt: z.number().int().min(1).max(20),
    mediaKind: MediaKindSchema,
    source: BlobRefSchema,
    /** SHA-256 of the source measured at upload; the worker refuses a source that differs. */
    sourceSha256: Sha256Hex,
    /** Where the worker writes the redacted media and its report (names are deterministic per job). */
    output: BlobRefSchema,
    report: BlobRefSchema,
    targets: z.array(RedactionTargetSchema).min(1),
    style: ObscureStyleSchema,
    subjects: z.array(SubjectHintSchema).max(16),
    /** Track ids to keep visible (from an earlier run's report). */
    keepTracks: KeepTracksSchema.optional(),
    /** Whole-body bystander mode; default heads. */
    bystanders: BystanderModeSchema.optional(),
    /**
     * The tenant reviews unsure renders: a render the engine is not sure of (summary.review) is still
     * written and returned as succeeded for a person to review, instead of failing. Absent/false: it fails.
     */
    reviewable: z.boolean().optional(),
    /** A reviewer's edits, applied after tracking (review re-renders). */
    edits: RedactionEditsSchema.optional(),
    /**
     * The source is sealed with the incident's data key (the original kept for review); the worker
     * decrypts it with the key in `encryption`. sourceSha256 is the plaintext's hash.
     */
    sourceSealed: z.boolean().optional(),
    keepAudio: z.boolean(),
    /** The evidence item's trace (W3C traceparent): the worker's spans join it. */
    traceparent: TraceparentSchema.optional(),
    /**
     * The output is encrypted at rest (AES-256-GCM segments) with the incident's data key, which
     * travels only wrapped by the geography's key-encryption key; the worker unwraps it itself.
     */
    encryption: z.object({ keyRef: z.string().min(1).max(255), wrappedKey: WrappedKeySchema }).strict(),
  })
  .strict();
export type RedactionJob = z.infer<typeof RedactionJobSchema>;

export const RedactionSummarySchema = z
  .object({
    frames: z.number().int().min(0),
    durationSeconds: z.number().min(0),
    width: z.number().int().min(0),
    height: z.number().int().min(0),
    tracksObscured: z.number().int().min(0),
    tracksKept: z.number().int().min(0),
    regionsObscured: z.number().int().min(0),
    subjectMatched: z.boolean().nullable(),
    verification: z.enum(['passed', 'failed', 'skipped']),
    /** Faces the verifier found that a correction round then obscured (0 when the first render passed). */
    corrections: z.number().int().min(0).optional(),
    /** Whether a person must review this render before it is published, and why (see ReviewReasonSchema). */
    review: z.object({ needed: z.boolean(), reasons: z.array(ReviewReasonSchema) }).strict().optional(),
    /** The edit version this render applied (review re-renders). */
    editsVersion: z.number().int().min(1).optional(),
    models: z.array(
      z.object({ name: z.string(), version: z.string(), sha256: Sha256Hex }).strict(),
    ),
  })
  .strict();
export type RedactionSummary = z.infer<typeof RedactionSummarySchema>;

/** Which job a result answers (both outcomes carry them). */
const resultIds = {
  version: z.literal(1),
  jobId: z.string().min(1),
  tenantId: z.string().min(1),
  incidentId: z.string().min(1),
  evidenceId: z.string().min(1),
  attempt: z.number().int().min(1),
  /** The worker's span (W3C traceparent): the result's handling joins the evidence item's trace. */
  traceparent: TraceparentSchema.optional(),
};

export const RedactionResultSchema = z.discriminatedUnion('outcome', [
  z
    .object({
      ...resultIds,
      outcome: z.literal('succeeded'),
      /** sha256/bytes describe the redacted media (plaintext); storedBytes the encrypted blob. */
      output: BlobRefSchema.extend({ sha256: Sha256Hex, bytes: z.number().int().min(1), storedBytes: z.number().int().min(1), contentType: z.string() }).strict(),
      report: BlobRefSchema,
      summary: RedactionSummarySchema,
    })
    .strict(),
  z
    .object({
      ...resultIds,
      outcome: z.literal('failed'),
      /** Machine-readable reason, e.g. `media-corrupt`, `verification-failed`, `worker-crash`. */
      code: z.string().min(1).max(64),
      /** Human-readable reason; never contains personal data or media. */
      reason: z.string().min(1).max(500),
      /** Whether retrying could help (crash, timeout) or not (corrupt media, failed verification). */
      retryable: z.boolean(),
    })
    .strict(),
]);
export type RedactionResult = z.infer<typeof RedactionResultSchema>;
