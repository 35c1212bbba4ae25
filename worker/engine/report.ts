import { z } from 'zod';
import {
  MediaKindSchema,
  ObscureStyleSchema,
  RedactionTargetSchema,
  ReviewReasonSchema,
  type RedactionSummary,
  RedactionSummarySchema,
} from '../../shared/domain/redaction.js';

/**
 * The redaction report (JSON, stored beside the redacted output). Versioned; it holds numbers, ids,
 * hashes and boxes only — never image data or personal data.
 */
const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);
const RectSchema = z.object({ x: z.number(), y: z.number(), w: z.number(), h: z.number() }).strict();
const FrameRange = z.tuple([z.number().int().min(0), z.number().int().min(0)]);

export const ModelRefSchema = z.object({ name: z.string(), version: z.string(), sha256: Sha256, role: z.string() }).strict();

export const TrackReportSchema = z
  .object({
    /** Deterministic for the same input and options (a second run can keep a track by id). */
    id: z.number().int().min(0),
    class: z.enum(['face', 'plate', 'person']),
    firstFrame: z.number().int().min(0),
    lastFrame: z.number().int().min(0),
    detections: z.number().int().min(0),
    /** Inclusive frame ranges in which the track was obscured (detections plus pre/post-roll and gap fill). */
    obscured: z.array(FrameRange),
    kept: z.boolean(),
    /** Index of the subject hint this track matched (kept tracks only). */
    subjectHint: z.number().int().min(0).optional(),
    /** Detected boxes at keyframes (first and last detection, and about one a second between). */
    boxes: z.array(z.object({ frame: z.number().int().min(0), x: z.number(), y: z.number(), w: z.number(), h: z.number() }).strict()).optional(),
  })
  .strict();

export const RedactionReportSchema = z
  .object({
    schema: z.literal('bystander.redaction-report'),
    schemaVersion: z.literal(1),
    engine: z.object({ name: z.literal('bystander-worker'), version: z.string() }).strict(),
    createdAt: z.string(),
    input: z
      .object({
        sha256: Sha256,
        bytes: z.number().int().min(1),
        kind: MediaKindSchema,
        format: z.string(),
        codec: z.string().optional(),
        width: z.number().int().min(1),
        height: z.number().int().min(1),
        rotation: z.number().int().optional(),
        bitDepth: z.number().int().optional(),
        variableFrameRate: z.boolean().optional(),
        fps: z.number().min(0),
        durationSeconds: z.number().min(0),
        hasAudio: z.boolean(),
      })
      .strict(),
    output: z
      .object({
        sha256: Sha256,
        bytes: z.number().int().min(1),
        contentType: z.string(),
        width: z.number().int().min(1),
        height: z.number().int().min(1),
        frames: z.number().int().min(1),
        fps: z.number().min(0),
        durationSeconds: z.number().min(0),
        audio: z.boolean(),
        metadataStripped: z.literal(true),
      })
      .strict(),
    models: z.array(ModelRefSchema),
    parameters: z
      .object({
        targets: z.array(RedactionTargetSchema),
        style: ObscureStyleSchema,
        keepAudio: z.boolean(),
        device: z.enum(['cpu', 'cuda']),
        padding: z.number(),
        pixelateBlocks: z.number(),
        detection: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
        tracking: z.record(z.string(), z.union([z.number(), z.string(), z.boolean()])),
      })
      .strict(),
    tracks: z.array(TrackReportSchema),
    regionsObscured: z.number().int().min(0),
    framesWithRegions: z.number().int().min(0),
    /** Video: frames where a new shot begins (hard cuts, cuts.ts); every track ends at one. */
    cuts: z.array(z.number().int().min(0)).optional(),
    subjects: z
      .object({
        hints: z.number().int().min(0),
        matches: z.array(
          z
            .object({
              hint: z.number().int().min(0),
              frame: z.number().int().min(0),
              trackId: z.number().int().min(0).nullable(),
              iou: z.number().min(0).max(1),
              /** Share of the matched track's life in which it was kept visible. */
              keptShare: z.number().min(0).max(1),
              outcome: z.enum(['kept', 'not-matched', 'ambiguous']),
              /** Matched against person tracks, or face tracks where no person was found. */
              via: z.enum(['person', 'face']).optional(),
              /** Ambiguous hints: the tracks the hint could mean, at its frame. */
              candidates: z.array(z.object({ trackId: z.number().int().min(0), class: z.enum(['face', 'plate', 'person']), box: RectSchema }).strict()).optional(),
            })
            .strict(),
        ),
        matched: z.boolean().nullable(),
        /** Track ids asked to be kept (--keep-track) and those of them that exist in this run. */
        keepTracks: z.object({ asked: z.array(z.number().int().min(0)), found: z.array(z.number().int().min(0)) }).strict().optional(),
      })
      .strict(),
    verification: z
      .object({
        status: z.enum(['passed', 'failed', 'skipped']),
        reason: z.string().optional(),
        model: z.string().optional(),
        sampleFps: z.number().optional(),
        framesChecked: z.number().int().min(0),
        facesFound: z.number().int().min(0),
        facesInsideObscured: z.number().int().min(0),
        facesOnSubject: z.number().int().min(0),
        violations: z.array(z.object({ frame: z.number().int().min(0), box: RectSchema, score: z.number() }).strict()),
        /**
         * Smallest face side (px) each model finds reliably (≥ 90 % of real faces from that side up,
         * measured by eval/bands.ts): the verifier must reach at least as small as the engine claims.
         */
        smallestFace: z.object({ engine: z.number().min(0), verifier: z.number().min(0) }).strict().optional(),
        /** One entry per verified render: 0 is the first pass, then correction rounds (bounded). */
        rounds: z
          .array(
            z
              .object({
                round: z.number().int().min(0),
                status: z.enum(['passed', 'failed']),
                framesChecked: z.number().int().min(0),
                violations: z.number().int().min(0),
              })
              .strict(),
          )
          .optional(),
        /** Faces the verifier found that became redactions in a later round (frame and box where found). */
        corrections: z.array(z.object({ round: z.number().int().min(1), frame: z.number().int().min(0), box: RectSchema, score: z.number() }).strict()).optional(),
        /** Frames where a face was still found outside the obscured regions after the last round (the clip is quarantined, or with `reviewable` held for review). */
        failedFrames: z.array(z.number().int().min(0)).optional(),
        /**
         * A review render (`reviewable`, verification still failed after the rounds): the violations
         * of the last round, each held obscured over its window (correct.ts heldRegions) in one more
         * render — how many were held, and the output frame regions that held them.
         */
        heldForReview: z.number().int().min(0).optional(),
        heldRegions: z.number().int().min(0).optional(),
      })
      .strict(),
    /** Whether a person must review this render before it is published, and why (every run; edits.ts reviewReasons). */
    review: z.object({ needed: z.boolean(), reasons: z.array(ReviewReasonSchema) }).strict().optional(),
    /** A reviewer's edits this render applied (ids and numbers only). */
    edits: z
      .object({
        version: z.number().int().min(1),
        keepTracks: z.array(z.number().int().min(0)),
        obscureTracks: z.array(z.number().int().min(0)),
        obscureBodies: z.array(z.number().int().min(0)),
        boxes: z.array(
          z
            .object({
              box: z.number().int().min(0),
              /** The track the box followed (null: it stayed where drawn). */
              trackId: z.number().int().min(0).nullable(),
              /** Inclusive output frames it was obscured in (null: none). */
              frames: FrameRange.nullable(),
              framesCovered: z.number().int().min(0),
            })
            .strict(),
        ),
      })
      .strict()
      .optional(),
    timingsMs: z
      .object({ probe: z.number(), hash: z.number(), analyse: z.number(), render: z.number(), verify: z.number(), total: z.number() })
      .strict(),
    warnings: z.array(z.string()),
  })
  .strict();
export type RedactionReport = z.infer<typeof RedactionReportSchema>;
export type TrackReport = z.infer<typeof TrackReportSchema>;

/** The minimised summary the pipeline records with the evidence. */
export function toSummary(report: RedactionReport): RedactionSummary {
  return RedactionSummarySchema.parse({
    frames: report.output.frames,
    durationSeconds: report.output.durationSeconds,
    width: report.output.width,
    height: report.output.height,
    tracksObscured: report.tracks.filter((t) => !t.kept).length,
    tracksKept: report.tracks.filter((t) => t.kept).length,
    regionsObscured: report.regionsObscured,
    subjectMatched: report.subjects.matched,
    verification: report.verification.status,
    corrections: report.verification.corrections?.length ?? 0,
    ...(report.review ? { review: report.review } : {}),
    ...(report.edits ? { editsVersion: report.edits.version } : {}),
    models: report.models.map(({ name, version, sha256 }) => ({ name, version, sha256 })),
  });
}
