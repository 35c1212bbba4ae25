/**
 * Field-level encryption for sensitive record fields (free-text description, subject hints) with
 * the incident's data key.
 *
 * Format: `bf1.<nonce>.<ciphertext‖tag>` (base64url parts; "bf1" = Bystander field, version 1).
 * - Cipher: AES-256-GCM with a 96-bit random nonce under a field subkey
 *   HKDF-SHA256(dataKey, salt = "", info = "bystander/field/v1"), so field ciphertexts and blob
 *   segments never share a key. Random nonces are safe here: an incident sees at most a few
 *   thousand field writes, far below the 2³² bound for random 96-bit GCM nonces.
 * - AAD: the canonical JSON array `["bystander/field/v1", tenantId, incidentId, fieldName]`, so a
 *   ciphertext cannot be moved to another tenant, incident or field (an unambiguous encoding: no
 *   separator tricks with ids containing "|").
 * - The JSON plaintext is padded with trailing spaces (valid JSON whitespace) to a multiple of
 *   `padBlock` bytes (default 32) so the stored length reveals only a coarse size.
 */
import { createCipheriv, createDecipheriv, hkdfSync, randomBytes } from 'node:crypto';
import { DecryptionError } from './errors.js';

/** Version prefix of encrypted field strings. */
export const FIELD_PREFIX = 'bf1';
/** Matches strings produced by {@link encryptField} (shape only; says nothing about validity). */
export const ENCRYPTED_FIELD_PATTERN = /^bf1\.[A-Za-z0-9_-]{16}\.[A-Za-z0-9_-]{22,}$/;
/** Largest plaintext (serialised JSON) accepted, in bytes. */
export const MAX_FIELD_PLAINTEXT = 256 * 1024;

const INFO = Buffer.from('bystander/field/v1', 'ascii');
const NONCE_LENGTH = 12;
const TAG_LENGTH = 16;

/** Where an encrypted value belongs; bound into the ciphertext as AAD. */
export interface FieldContext {
  tenantId: string;
  incidentId: string;
  /** Name of the record field, e.g. "description". */
  field: string;
}

/** Options for {@link encryptField}. */
export interface EncryptFieldOptions {
  /** Pad the serialised plaintext to a multiple of this many bytes (1 disables); default 32. */
  padBlock?: number;
}

function fieldKey(dataKey: Buffer): Buffer {
  if (!Buffer.isBuffer(dataKey) || dataKey.length !== 32) throw new TypeError('field: data key must be a 32-byte Buffer');
  return Buffer.from(hkdfSync('sha256', dataKey, Buffer.alloc(0), INFO, 32));
}

function aadFor(ctx: FieldContext): Buffer {
  for (const [name, v] of Object.entries(ctx)) {
    if (typeof v !== 'string' || v.length === 0) throw new TypeError(`field: context.${name} must be a non-empty string`);
  }
  return Buffer.from(JSON.stringify(['bystander/field/v1', ctx.tenantId, ctx.incidentId, ctx.field]), 'utf8');
}

/**
 * Encrypts a JSON-serialisable value for one field of one incident.
 * @returns a compact string `bf1.<nonce>.<ciphertext>` safe to store in Cosmos.
 * @throws TypeError for values JSON cannot represent (undefined, functions, BigInt).
 */
export function encryptField(dataKey: Buffer, ctx: FieldContext, value: unknown, options: EncryptFieldOptions = {}): string {
  const json = JSON.stringify(value) as string | undefined;
  if (json === undefined) throw new TypeError('field: value is not JSON-serialisable');
  const raw = Buffer.from(json, 'utf8');
  if (raw.length > MAX_FIELD_PLAINTEXT) throw new RangeError('field: value too large');
  const block = options.padBlock ?? 32;
  if (!Number.isInteger(block) || block < 1 || block > 4096) throw new RangeError('field: padBlock must be in [1, 4096]');
  const padded = Buffer.alloc(Math.ceil(raw.length / block) * block || block, 0x20);
  raw.copy(padded);
  raw.fill(0);
  const key = fieldKey(dataKey);
  const nonce = randomBytes(NONCE_LENGTH);
  try {
    const cipher = createCipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
    cipher.setAAD(aadFor(ctx));
    const ct = Buffer.concat([cipher.update(padded), cipher.final(), cipher.getAuthTag()]);
    return `${FIELD_PREFIX}.${nonce.toString('base64url')}.${ct.toString('base64url')}`;
  } finally {
    key.fill(0);
    padded.fill(0);
  }
}

/**
 * Decrypts a value produced by {@link encryptField} for the same tenant, incident and field.
 * Validate the result with the field's zod schema before use.
 * @throws DecryptionError('malformed') for a foreign format, ('authentication') for a wrong key,
 * tampered bytes or a different context.
 */
export function decryptField(dataKey: Buffer, ctx: FieldContext, encrypted: string): unknown {
  if (typeof encrypted !== 'string' || !ENCRYPTED_FIELD_PATTERN.test(encrypted)) {
    throw new DecryptionError('malformed', 'field: not an encrypted field value');
  }
  const [, nonceB64 = '', ctB64 = ''] = encrypted.split('.');
  const nonce = Buffer.from(nonceB64, 'base64url');
  const sealed = Buffer.from(ctB64, 'base64url');
  if (nonce.length !== NONCE_LENGTH || sealed.length < TAG_LENGTH + 1) {
    throw new DecryptionError('malformed', 'field: bad encrypted field lengths');
  }
  const key = fieldKey(dataKey);
  let plain: Buffer;
  try {
    const decipher = createDecipheriv('aes-256-gcm', key, nonce, { authTagLength: TAG_LENGTH });
    decipher.setAAD(aadFor(ctx));
    decipher.setAuthTag(sealed.subarray(sealed.length - TAG_LENGTH));
    const body = decipher.update(sealed.subarray(0, sealed.length - TAG_LENGTH));
    try {
      plain = Buffer.concat([body, decipher.final()]);
    } catch {
      body.fill(0);
      throw new DecryptionError('authentication', 'field: authentication failed (wrong key, tampered, or other field/incident)');
    }
  } finally {
    key.fill(0);
  }
  try {
    return JSON.parse(plain.toString('utf8')) as unknown;
  } catch {
    throw new DecryptionError('malformed', 'field: decrypted value is not JSON');
  } finally {
    plain.fill(0);
  }
}

/** True when `value` has the shape of an encrypted field string. */
export function isEncryptedField(value: unknown): value is string {
  return typeof value === 'string' && ENCRYPTED_FIELD_PATTERN.test(value);
}
