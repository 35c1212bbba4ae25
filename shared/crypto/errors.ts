/**
 * Errors raised by the crypto building blocks. Messages never carry key material, plaintext or
 * ciphertext bytes: only what an operator needs (which segment, which check).
 */

/** Why a decryption was refused. */
export type DecryptionFailure =
  /** The bytes are not in a format this code understands (bad magic/version/lengths). */
  | 'malformed'
  /** A GCM tag did not verify: wrong key, flipped bit, reordered or spliced segments. */
  | 'authentication'
  /** The ciphertext ends early or its final segment is missing. */
  | 'truncated';

/**
 * Authenticated decryption failed. Callers must treat the whole object as untrusted and discard any
 * plaintext already released by a streaming decrypt (e.g. abort the HTTP response).
 */
export class DecryptionError extends Error {
  override name = 'DecryptionError';
  constructor(
    readonly failure: DecryptionFailure,
    message: string,
  ) {
    super(message);
  }
}

/** Why a key could not be obtained. */
export type KeyUnavailableReason =
  /** The key service could not be reached (network, timeout, 5xx, throttling). */
  | 'unreachable'
  /** The key service refused us (401/403, disabled key). */
  | 'denied'
  /** The key (or key version) does not exist. */
  | 'not-found'
  /** The key service rejected the request (e.g. a wrapped key that does not unwrap). */
  | 'rejected'
  /** Anything else. */
  | 'unknown';

/**
 * A key-encryption key or data key could not be used. Operations fail closed: nothing is read or
 * written without the key. The composition root should raise an operational alert on this error.
 */
export class KeyUnavailableError extends Error {
  override name = 'KeyUnavailableError';
  readonly code = 'KEY_UNAVAILABLE';
  constructor(
    readonly reason: KeyUnavailableReason,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}
