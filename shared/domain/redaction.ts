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
