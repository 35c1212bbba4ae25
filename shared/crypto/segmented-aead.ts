/**
 * Segmented AES-256-GCM ("streaming AEAD") for evidence blobs.
 *
 * The plaintext is cut into fixed-size segments; each segment is sealed on its own, so a byte range
 * can be decrypted (and authenticated) by fetching only the segments that cover it. This keeps HTTP
 * Range requests working over encrypted blobs. The construction follows the well-studied
 * "online AE" / STREAM pattern (as in Tink's AES-GCM-HKDF streaming AEAD):
 *
 * Layout:  header ‖ seg₀ ‖ seg₁ ‖ … ‖ segₙ₋₁        segᵢ = GCM-ciphertext(ptᵢ) ‖ tag(16)
 *
 * Header (v1, big-endian):
 * ```
 * off len field
 *   0   4 magic "BYSA"
 *   4   1 version = 1
 *   5   1 key-ref length L (1..255)
 *   6   4 plaintext segment size S
 *  10  16 salt (random)            → per-blob key = HKDF-SHA256(dataKey, salt, "bystander/segmented-aead/v1")
 *  26   8 nonce prefix (random)
 *  34   L key ref (printable ASCII, e.g. "incident/<id>/dk/1"; never secret)
 * ```
 * - Every segment but the last holds exactly S plaintext bytes; the last holds 1..S bytes, or 0
 *   bytes only when the whole plaintext is empty (there is always at least one segment).
 * - Nonce of segment i = noncePrefix(8) ‖ uint32be(i). Each blob gets a fresh random salt, hence
 *   its own AES key, so (key, nonce) pairs never repeat even across blobs of one incident; the
 *   random prefix is defence in depth. At most 2³² segments per blob.
 * - AAD of segment i = header ‖ uint32be(i) ‖ finalFlag(1 byte). Binding the header makes any
 *   header edit fail; binding the index stops reordering; the final flag stops truncation at a
 *   segment boundary and extension (a non-final segment can never pass as the last one and vice
 *   versa).
 *
 * Caveat (inherent to ranged reads): a range that does not touch the final segment is authenticated
 * segment by segment but cannot prove the blob was not truncated *after* it. Store the expected
 * ciphertext size (and SHA-256) in the evidence record and compare it with the blob's size before
 * serving ranges.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { ByteQueue } from './byte-queue.js';
import { DecryptionError } from './errors.js';

/** File magic: ASCII "BYSA" (Bystander Segmented AEAD). */
export const SEGMENTED_MAGIC: Readonly<Buffer> = Buffer.from('BYSA', 'ascii');
/** Header format version written by this module. */
export const SEGMENTED_VERSION = 1;
/** GCM tag length appended to every segment. */
export const TAG_LENGTH = 16;
/** Default plaintext segment size (64 KiB). */
export const DEFAULT_SEGMENT_SIZE = 64 * 1024;
/** Smallest accepted segment size (tests use tiny segments to exercise many boundaries). */
export const MIN_SEGMENT_SIZE = 16;
/** Largest accepted segment size; also bounds what a decrypter buffers for a hostile header. */
export const MAX_SEGMENT_SIZE = 8 * 1024 * 1024;
/** Number of header bytes before the key ref. */
export const FIXED_HEADER_LENGTH = 34;
/** Largest possible header. */
export const MAX_HEADER_LENGTH = FIXED_HEADER_LENGTH + 255;

const KEY_LENGTH = 32;
const SALT_LENGTH = 16;
const NONCE_PREFIX_LENGTH = 8;
const MAX_SEGMENTS = 2 ** 32;
const HKDF_INFO = Buffer.from('bystander/segmented-aead/v1', 'ascii');
const KEY_REF_PATTERN = /^[\x21-\x7e]{1,255}$/;

/** Parsed header of a segmented ciphertext. */
export interface SegmentedHeader {
  readonly version: 1;
  /** Plaintext bytes per (non-final) segment. */
  readonly segmentSize: number;
  /** Which data key sealed the blob (an identifier, never key material). */
  readonly keyRef: string;
  readonly salt: Buffer;
  readonly noncePrefix: Buffer;
  /** Header length in bytes (= offset of the first segment). */
  readonly length: number;
  /** The raw header bytes (bound into every segment's AAD). */
  readonly bytes: Buffer;
}

/** Supplies the 256-bit data key for a header (e.g. looked up by `header.keyRef`). */
export type KeyResolver = (header: SegmentedHeader) => Buffer | Promise<Buffer>;

/** Options for encryption. */
export interface EncryptOptions {
  /** 256-bit data key. */
  key: Buffer;
  /** Identifier of the data key, stored in clear in the header. Printable ASCII, 1..255 chars. */
  keyRef: string;
  /** Plaintext segment size; default 64 KiB. */
  segmentSize?: number;
}

/** Random access to a ciphertext of known size (e.g. a blob read with HTTP Range). */
export interface RangeSource {
  /** Total ciphertext size in bytes. */
  readonly size: number;
  /** Returns exactly `length` bytes starting at `offset`. */
  read(offset: number, length: number): Promise<Buffer>;
}

/** The ciphertext bytes needed to decrypt a plaintext range. */
export interface CiphertextRange {
  /** Ciphertext byte offset of the first needed segment. */
  offset: number;
  /** Ciphertext bytes to read (whole segments). */
  length: number;
  firstSegment: number;
  lastSegment: number;
  /** Plaintext bytes to drop from the start of the first segment. */
  skip: number;
}

/** Segment geometry derived from a header and a ciphertext size. */
interface Layout {
  segments: number;
  plaintextSize: number;
}

function assertKey(key: Buffer): void {
  if (!Buffer.isBuffer(key) || key.length !== KEY_LENGTH) {
    throw new TypeError('segmented-aead: key must be a 32-byte Buffer');
  }
}

function assertSegmentSize(segmentSize: number): void {
  if (!Number.isSafeInteger(segmentSize) || segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new RangeError(`segmented-aead: segment size must be an integer in [${MIN_SEGMENT_SIZE}, ${MAX_SEGMENT_SIZE}]`);
  }
}

function buildHeader(keyRef: string, segmentSize: number): SegmentedHeader {
  if (!KEY_REF_PATTERN.test(keyRef)) {
    throw new TypeError('segmented-aead: keyRef must be 1..255 printable ASCII characters');
  }
  assertSegmentSize(segmentSize);
  const ref = Buffer.from(keyRef, 'ascii');
  const salt = randomBytes(SALT_LENGTH);
  const noncePrefix = randomBytes(NONCE_PREFIX_LENGTH);
  const bytes = Buffer.alloc(FIXED_HEADER_LENGTH + ref.length);
  SEGMENTED_MAGIC.copy(bytes, 0);
  bytes.writeUInt8(SEGMENTED_VERSION, 4);
  bytes.writeUInt8(ref.length, 5);
  bytes.writeUInt32BE(segmentSize, 6);
  salt.copy(bytes, 10);
  noncePrefix.copy(bytes, 26);
  ref.copy(bytes, FIXED_HEADER_LENGTH);
  return { version: 1, segmentSize, keyRef, salt, noncePrefix, length: bytes.length, bytes };
}

/**
 * Total header length announced by the first {@link FIXED_HEADER_LENGTH} bytes of a ciphertext.
 * @throws DecryptionError('malformed') on a bad magic or version.
 */
export function headerLengthOf(prefix: Buffer): number {
  if (prefix.length < FIXED_HEADER_LENGTH) {
    throw new DecryptionError('truncated', 'segmented-aead: header is incomplete');
  }
  if (!prefix.subarray(0, 4).equals(SEGMENTED_MAGIC)) {
    throw new DecryptionError('malformed', 'segmented-aead: not a segmented ciphertext (bad magic)');
  }
  const version = prefix.readUInt8(4);
  if (version !== SEGMENTED_VERSION) {
    throw new DecryptionError('malformed', `segmented-aead: unsupported version ${version}`);
  }
  const refLength = prefix.readUInt8(5);
  if (refLength === 0) throw new DecryptionError('malformed', 'segmented-aead: empty key ref');
  return FIXED_HEADER_LENGTH + refLength;
}

/**
 * Parses (but cannot yet authenticate) the header at the start of `bytes`. The header is
 * authenticated implicitly: it is part of every segment's AAD.
 * @throws DecryptionError on a malformed or incomplete header.
 */
export function parseHeader(bytes: Buffer): SegmentedHeader {
  const length = headerLengthOf(bytes);
  if (bytes.length < length) throw new DecryptionError('truncated', 'segmented-aead: header is incomplete');
  const segmentSize = bytes.readUInt32BE(6);
  if (segmentSize < MIN_SEGMENT_SIZE || segmentSize > MAX_SEGMENT_SIZE) {
    throw new DecryptionError('malformed', 'segmented-aead: segment size out of range');
  }
  const keyRef = bytes.subarray(FIXED_HEADER_LENGTH, length).toString('latin1');
  if (!KEY_REF_PATTERN.test(keyRef)) throw new DecryptionError('malformed', 'segmented-aead: invalid key ref');
  const copy = Buffer.from(bytes.subarray(0, length));
  return {
    version: 1,
    segmentSize,
    keyRef,
    salt: copy.subarray(10, 26),
    noncePrefix: copy.subarray(26, 34),
    length,
    bytes: copy,
  };
}

function deriveSegmentKey(dataKey: Buffer, header: SegmentedHeader): Buffer {
  assertKey(dataKey);
  return Buffer.from(hkdfSync('sha256', dataKey, header.salt, HKDF_INFO, KEY_LENGTH));
}

function nonceFor(header: SegmentedHeader, index: number): Buffer {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_SEGMENTS) {
    throw new RangeError('segmented-aead: segment counter exhausted');
  }
  const nonce = Buffer.alloc(12);
  header.noncePrefix.copy(nonce, 0);
  nonce.writeUInt32BE(index, 8);
  return nonce;
}

function aadFor(header: SegmentedHeader, index: number, final: boolean): Buffer {
  const aad = Buffer.alloc(header.length + 5);
  header.bytes.copy(aad, 0);
  aad.writeUInt32BE(index, header.length);
  aad.writeUInt8(final ? 1 : 0, header.length + 4);
  return aad;
}

function sealSegment(segKey: Buffer, header: SegmentedHeader, index: number, final: boolean, plaintext: Buffer): Buffer {
  const cipher = createCipheriv('aes-256-gcm', segKey, nonceFor(header, index), { authTagLength: TAG_LENGTH });
  cipher.setAAD(aadFor(header, index, final));
  const body = cipher.update(plaintext);
  const tail = cipher.final();
  return Buffer.concat([body, tail, cipher.getAuthTag()]);
}

function openSegment(segKey: Buffer, header: SegmentedHeader, index: number, final: boolean, sealed: Buffer): Buffer {
  if (sealed.length < TAG_LENGTH) {
    throw new DecryptionError('truncated', `segmented-aead: segment ${index} is shorter than a tag`);
  }
  const ctLength = sealed.length - TAG_LENGTH;
  const decipher = createDecipheriv('aes-256-gcm', segKey, nonceFor(header, index), { authTagLength: TAG_LENGTH });
  decipher.setAAD(aadFor(header, index, final));
  decipher.setAuthTag(sealed.subarray(ctLength));
  const body = decipher.update(sealed.subarray(0, ctLength));
  try {
    const tail = decipher.final();
    return tail.length === 0 ? body : Buffer.concat([body, tail]);
  } catch {
    body.fill(0);
    throw new DecryptionError(
      'authentication',
      final
        ? `segmented-aead: final segment ${index} failed authentication (wrong key, tampered, truncated or reordered)`
        : `segmented-aead: segment ${index} failed authentication (wrong key, tampered or reordered)`,
    );
  }
}

function layoutOf(header: SegmentedHeader, ciphertextSize: number): Layout {
  if (!Number.isSafeInteger(ciphertextSize) || ciphertextSize < 0) {
    throw new RangeError('segmented-aead: ciphertext size must be a non-negative integer');
  }
  const body = ciphertextSize - header.length;
  if (body < TAG_LENGTH) throw new DecryptionError('truncated', 'segmented-aead: no complete segment');
  const full = header.segmentSize + TAG_LENGTH;
  const segments = Math.ceil(body / full);
  const last = body - (segments - 1) * full;
  if (last < TAG_LENGTH || (last === TAG_LENGTH && segments > 1)) {
    throw new DecryptionError('truncated', 'segmented-aead: ciphertext size does not match the segment layout');
  }
  if (segments > MAX_SEGMENTS) throw new DecryptionError('malformed', 'segmented-aead: too many segments');
  return { segments, plaintextSize: body - segments * TAG_LENGTH };
}

/**
 * Plaintext size of a ciphertext of `ciphertextSize` bytes with this header (for Content-Length and
 * Content-Range without decrypting anything).
 * @throws DecryptionError('truncated') when the size cannot come from a well-formed ciphertext.
 */
export function plaintextSize(header: Pick<SegmentedHeader, 'length' | 'segmentSize'>, ciphertextSize: number): number {
  return layoutOf(header as SegmentedHeader, ciphertextSize).plaintextSize;
}

/** Ciphertext size that encrypting `plaintextBytes` produces with the given geometry. */
export function ciphertextSize(header: Pick<SegmentedHeader, 'length' | 'segmentSize'>, plaintextBytes: number): number {
  if (!Number.isSafeInteger(plaintextBytes) || plaintextBytes < 0) throw new RangeError('plaintext size must be ≥ 0');
  const segments = Math.max(1, Math.ceil(plaintextBytes / header.segmentSize));
  return header.length + plaintextBytes + segments * TAG_LENGTH;
}

/**
 * Maps a plaintext byte range to the whole ciphertext segments that cover it.
 * @param ciphertextSize total size of the ciphertext (e.g. blob Content-Length)
 * @throws RangeError when the range is empty or extends past the plaintext.
 */
export function ciphertextRangeFor(
  header: Pick<SegmentedHeader, 'length' | 'segmentSize'>,
  ciphertextSize: number,
  plaintextOffset: number,
  length: number,
): CiphertextRange {
  const layout = layoutOf(header as SegmentedHeader, ciphertextSize);
  assertRange(layout, plaintextOffset, length);
  if (length === 0) throw new RangeError('segmented-aead: empty range needs no ciphertext');
  const full = header.segmentSize + TAG_LENGTH;
  const firstSegment = Math.floor(plaintextOffset / header.segmentSize);
  const lastSegment = Math.floor((plaintextOffset + length - 1) / header.segmentSize);
  const offset = header.length + firstSegment * full;
  const end = Math.min(ciphertextSize, header.length + (lastSegment + 1) * full);
  return { offset, length: end - offset, firstSegment, lastSegment, skip: plaintextOffset - firstSegment * header.segmentSize };
}

function assertRange(layout: Layout, offset: number, length: number): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new RangeError('segmented-aead: range offset and length must be non-negative integers');
  }
  if (offset + length > layout.plaintextSize) {
    throw new RangeError('segmented-aead: range extends past the end of the plaintext');
  }
}

async function resolveKey(key: Buffer | KeyResolver, header: SegmentedHeader): Promise<Buffer> {
  const k = typeof key === 'function' ? await key(header) : key;
  return deriveSegmentKey(k, header);
}

/**
 * Reads and parses the header of a ciphertext (one small ranged read).
 * @throws DecryptionError on a malformed header.
 */
export async function readHeader(source: RangeSource): Promise<SegmentedHeader> {
  const want = Math.min(source.size, MAX_HEADER_LENGTH);
  const prefix = await readExactly(source, 0, want);
  return parseHeader(prefix);
}

async function readExactly(source: RangeSource, offset: number, length: number): Promise<Buffer> {
  const bytes = await source.read(offset, length);
  if (bytes.length !== length) {
    throw new DecryptionError('truncated', 'segmented-aead: short read from ciphertext source');
  }
  return bytes;
}

/** Options for ranged decryption. */
export interface DecryptRangeOptions {
  /** A header already read for this source (saves one read). */
  header?: SegmentedHeader;
  /** Upper bound of ciphertext bytes fetched per read; default 1 MiB (at least one segment). */
  maxReadBytes?: number;
}

/**
 * Decrypts plaintext bytes [offset, offset + length) by reading only the covering segments,
 * yielding authenticated plaintext chunk by chunk (memory bounded by `maxReadBytes`). Wrap with
 * `Readable.from(...)` to pipe into an HTTP response. Every yielded byte has passed its GCM tag;
 * the final segment is opened with the final flag, so a truncated blob fails when the range
 * reaches its end.
 * @throws RangeError for a range outside the plaintext; DecryptionError on any integrity failure.
 */
export async function* decryptRangeStream(
  source: RangeSource,
  key: Buffer | KeyResolver,
  plaintextOffset: number,
  length: number,
  options: DecryptRangeOptions = {},
): AsyncGenerator<Buffer, void, undefined> {
  const header = options.header ?? (await readHeader(source));
  const layout = layoutOf(header, source.size);
  assertRange(layout, plaintextOffset, length);
  if (length === 0) return;
  const segKey = await resolveKey(key, header);
  try {
    const range = ciphertextRangeFor(header, source.size, plaintextOffset, length);
    const full = header.segmentSize + TAG_LENGTH;
    const perRead = Math.max(1, Math.floor((options.maxReadBytes ?? 1024 * 1024) / full));
    const end = plaintextOffset + length;
    for (let first = range.firstSegment; first <= range.lastSegment; first += perRead) {
      const last = Math.min(range.lastSegment, first + perRead - 1);
      const ctStart = header.length + first * full;
      const ctEnd = Math.min(source.size, header.length + (last + 1) * full);
      const bytes = await readExactly(source, ctStart, ctEnd - ctStart);
      for (let i = first; i <= last; i++) {
        const sealed = bytes.subarray((i - first) * full, Math.min(bytes.length, (i - first + 1) * full));
        const plain = openSegment(segKey, header, i, i === layout.segments - 1, sealed);
        const segStart = i * header.segmentSize;
        const from = Math.max(0, plaintextOffset - segStart);
        const to = Math.min(plain.length, end - segStart);
        yield plain.subarray(from, to);
      }
    }
  } finally {
    segKey.fill(0);
  }
}

/**
 * Decrypts plaintext bytes [offset, offset + length) into one Buffer. Prefer
 * {@link decryptRangeStream} for large ranges.
 */
export async function decryptRange(
  source: RangeSource,
  key: Buffer | KeyResolver,
  plaintextOffset: number,
  length: number,
  options: DecryptRangeOptions = {},
): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of decryptRangeStream(source, key, plaintextOffset, length, options)) parts.push(part);
  return Buffer.concat(parts, length);
}

/**
 * A Transform that encrypts a plaintext stream into the segmented format. Memory stays bounded by
 * one segment plus the incoming chunk; the last segment is held back until the input ends so it
 * can carry the final flag.
 */
export function createEncryptStream(options: EncryptOptions): Transform {
  assertKey(options.key);
  const header = buildHeader(options.keyRef, options.segmentSize ?? DEFAULT_SEGMENT_SIZE);
  const segKey = deriveSegmentKey(options.key, header);
  const pending = new ByteQueue();
  let index = 0;
  let headerSent = false;
  const sendHeader = (t: Transform): void => {
    if (!headerSent) {
      t.push(header.bytes);
      headerSent = true;
    }
  };
  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      try {
        sendHeader(this);
        pending.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
        // Strictly more than one segment buffered ⇒ the oldest one is certainly not the last.
        while (pending.length > header.segmentSize) {
          const plain = pending.take(header.segmentSize);
          this.push(sealSegment(segKey, header, index, false, plain));
          plain.fill(0);
          index++;
        }
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        sendHeader(this);
        const plain = pending.take(pending.length);
        this.push(sealSegment(segKey, header, index, true, plain));
        plain.fill(0);
        segKey.fill(0);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    destroy(err, callback) {
      segKey.fill(0);
      callback(err);
    },
  });
}

/**
 * A Transform that decrypts and authenticates a whole segmented ciphertext. Plaintext of a segment
 * is released only after its tag verifies; a missing or truncated final segment makes the stream
 * error at the end, so consumers must treat a stream error as "discard everything" (abort the
 * response, delete the partial output).
 * @param key the data key, or a resolver called once with the parsed header.
 */
export function createDecryptStream(key: Buffer | KeyResolver): Transform {
  if (typeof key !== 'function') assertKey(key);
  const pending = new ByteQueue();
  let header: SegmentedHeader | undefined;
  let segKey: Buffer | undefined;
  let index = 0;

  const drain = (t: Transform): void => {
    if (!header || !segKey) return;
    const full = header.segmentSize + TAG_LENGTH;
    while (pending.length > full) {
      t.push(openSegment(segKey, header, index, false, pending.take(full)));
      index++;
    }
  };

  return new Transform({
    transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback) {
      pending.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk));
      try {
        if (header) {
          drain(this);
          return callback();
        }
        if (pending.length < FIXED_HEADER_LENGTH) return callback();
        const headerLength = headerLengthOf(pending.peek(FIXED_HEADER_LENGTH));
        if (pending.length < headerLength) return callback();
        const parsed = parseHeader(pending.take(headerLength));
        resolveKey(key, parsed).then(
          (k) => {
            header = parsed;
            segKey = k;
            try {
              drain(this);
              callback();
            } catch (err) {
              callback(err as Error);
            }
          },
          (err: unknown) => callback(err as Error),
        );
      } catch (err) {
        callback(err as Error);
      }
    },
    flush(callback: TransformCallback) {
      try {
        if (!header || !segKey) throw new DecryptionError('truncated', 'segmented-aead: ciphertext ends inside the header');
        if (pending.length < TAG_LENGTH || (pending.length === TAG_LENGTH && index > 0)) {
          throw new DecryptionError('truncated', 'segmented-aead: final segment is missing or truncated');
        }
        this.push(openSegment(segKey, header, index, true, pending.take(pending.length)));
        segKey.fill(0);
        callback();
      } catch (err) {
        callback(err as Error);
      }
    },
    destroy(err, callback) {
      segKey?.fill(0);
      callback(err);
    },
  });
}

/** Encrypts a whole buffer (convenience for small objects and tests). */
export function encryptBuffer(plaintext: Buffer, options: EncryptOptions): Buffer {
  assertKey(options.key);
  const header = buildHeader(options.keyRef, options.segmentSize ?? DEFAULT_SEGMENT_SIZE);
  const segKey = deriveSegmentKey(options.key, header);
  try {
    const segments = Math.max(1, Math.ceil(plaintext.length / header.segmentSize));
    const out: Buffer[] = [header.bytes];
    for (let i = 0; i < segments; i++) {
      const part = plaintext.subarray(i * header.segmentSize, (i + 1) * header.segmentSize);
      out.push(sealSegment(segKey, header, i, i === segments - 1, part));
    }
    return Buffer.concat(out);
  } finally {
    segKey.fill(0);
  }
}

/**
 * Decrypts and authenticates a whole ciphertext buffer.
 * @throws DecryptionError on any integrity failure.
 */
export async function decryptBuffer(ciphertext: Buffer, key: Buffer | KeyResolver): Promise<Buffer> {
  const header = parseHeader(ciphertext);
  const source: RangeSource = {
    size: ciphertext.length,
    read: async (offset, length) => ciphertext.subarray(offset, offset + length),
  };
  const size = layoutOf(header, ciphertext.length).plaintextSize;
  if (size === 0) {
    // Authenticate the single empty final segment.
    const segKey = await resolveKey(key, header);
    try {
      openSegment(segKey, header, 0, true, ciphertext.subarray(header.length));
    } finally {
      segKey.fill(0);
    }
    return Buffer.alloc(0);
  }
  return decryptRange(source, key, 0, size, { header });
}
