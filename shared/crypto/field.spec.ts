import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { DecryptionError } from './errors.js';
import { decryptField, encryptField, isEncryptedField, type FieldContext } from './field.js';

const key = randomBytes(32);
const ctx: FieldContext = { tenantId: 't-1', incidentId: 'inc-1', field: 'description' };

function failure(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(DecryptionError);
    return (e as DecryptionError).failure;
  }
  throw new Error('expected a DecryptionError');
}

describe('field-level encryption', () => {
  it.each([
    ['a string', 'Man in red jacket took two bottles; staff member followed him out.'],
    ['an object', { hints: ['red jacket', 'tall'], confidence: 0.7 }],
    ['a number', 42],
    ['null', null],
    ['an empty string', ''],
    ['unicode', 'Zoë — 東京 — 🚲'],
  ])('round-trips %s', (_name, value) => {
    const enc = encryptField(key, ctx, value);
    expect(isEncryptedField(enc)).toBe(true);
    expect(enc.startsWith('bf1.')).toBe(true);
    expect(decryptField(key, ctx, enc)).toEqual(value);
  });

  it('never stores the plaintext and uses a fresh nonce each time', () => {
    const a = encryptField(key, ctx, 'secret description');
    const b = encryptField(key, ctx, 'secret description');
    expect(a).not.toBe(b);
    expect(a.split('.')[1]).not.toBe(b.split('.')[1]);
    expect(a).not.toContain('secret');
    expect(Buffer.from(a.split('.')[2] ?? '', 'base64url').toString('latin1')).not.toContain('secret');
  });

  it('pads ciphertext length to hide the exact plaintext length', () => {
    const lengths = new Set(['a', 'ab', 'abcdefghij', 'x'.repeat(25)].map((v) => encryptField(key, ctx, v).length));
    expect(lengths.size).toBe(1);
    expect(encryptField(key, ctx, 'x'.repeat(40)).length).toBeGreaterThan([...lengths][0] ?? 0);
    expect(decryptField(key, ctx, encryptField(key, ctx, 'abc', { padBlock: 1 }))).toBe('abc');
  });

  it('a wrong data key fails authentication', () => {
    const enc = encryptField(key, ctx, 'x');
    expect(failure(() => decryptField(randomBytes(32), ctx, enc))).toBe('authentication');
  });

  it.each([
    ['another tenant', { ...ctx, tenantId: 't-2' }],
    ['another incident', { ...ctx, incidentId: 'inc-2' }],
    ['another field', { ...ctx, field: 'subjectHints' }],
    ['a context differing only in separators', { tenantId: 't-1|inc-1', incidentId: 'description', field: 'x' }],
  ])('a value moved to %s fails authentication', (_name, other) => {
    const enc = encryptField(key, ctx, 'x');
    expect(failure(() => decryptField(key, other, enc))).toBe('authentication');
  });

  it('a tampered ciphertext fails authentication', () => {
    const enc = encryptField(key, ctx, { a: 1 });
    const [p, n, c = ''] = enc.split('.');
    const bytes = Buffer.from(c, 'base64url');
    bytes[0] = (bytes[0] ?? 0) ^ 1;
    expect(failure(() => decryptField(key, ctx, `${p}.${n}.${bytes.toString('base64url')}`))).toBe('authentication');
  });

  it('rejects unknown formats and versions as malformed', () => {
    const enc = encryptField(key, ctx, 'x');
    expect(failure(() => decryptField(key, ctx, enc.replace(/^bf1/, 'bf2')))).toBe('malformed');
    expect(failure(() => decryptField(key, ctx, 'plain text'))).toBe('malformed');
    expect(isEncryptedField('plain text')).toBe(false);
  });

  it('rejects values JSON cannot represent and bad keys', () => {
    expect(() => encryptField(key, ctx, undefined)).toThrow(TypeError);
    expect(() => encryptField(key, ctx, () => 1)).toThrow(TypeError);
    expect(() => encryptField(randomBytes(16), ctx, 'x')).toThrow(TypeError);
    expect(() => encryptField(key, { ...ctx, field: '' }, 'x')).toThrow(TypeError);
  });
});
