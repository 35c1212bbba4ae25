/**
 * Bad input (the media itself is the problem; retrying cannot help) is a MediaRejectedError with a
 * machine-readable code. Anything else thrown by the engine is a crash (possibly transient).
 */
export const MEDIA_REJECTION_CODES = [
  'media-empty',
  'media-not-recognised',
  'media-corrupt',
  'media-too-large',
  'media-too-long',
  'media-unsupported-codec',
  'media-no-video',
  'media-no-frames',
] as const;
export type MediaRejectionCode = (typeof MEDIA_REJECTION_CODES)[number];

export class MediaRejectedError extends Error {
  override name = 'MediaRejectedError';
  constructor(
    readonly code: MediaRejectionCode,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The independent verifier found a face outside every obscured region: the output was deleted and
 * must not be published. Carries the report (numbers and boxes only) for diagnosis.
 */
export class VerificationFailedError extends Error {
  override name = 'VerificationFailedError';
  readonly code = 'verification-failed';
  constructor(
    message: string,
    readonly report: unknown,
  ) {
    super(message);
  }
}

export class AbortedError extends Error {
  override name = 'AbortError';
  constructor() {
    super('redaction aborted');
  }
}
