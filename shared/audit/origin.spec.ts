import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalIp, pseudonymiseIp } from './origin.js';

const key = { id: 'ipkey-2025', key: randomBytes(32) };

describe('audit origin: IP pseudonymisation', () => {
  it('stores a keyed 128-bit HMAC, never the address', () => {
    const o = pseudonymiseIp('203.0.113.7', key);
    expect(o?.keyId).toBe('ipkey-2025');
    expect(o?.hmac).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(JSON.stringify(o)).not.toContain('203.0.113');
  });

  it('is stable for one key (repeat access is visible) and unlinkable across keys', () => {
    const a = pseudonymiseIp('203.0.113.7', key);
    expect(pseudonymiseIp('203.0.113.7', key)).toEqual(a);
    expect(pseudonymiseIp('203.0.113.8', key)?.hmac).not.toBe(a?.hmac);
    expect(pseudonymiseIp('203.0.113.7', { id: 'other', key: randomBytes(32) })?.hmac).not.toBe(a?.hmac);
  });

  it('treats equivalent spellings of one address as the same address', () => {
    expect(canonicalIp('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(canonicalIp('[2001:DB8:0:0:0:0:0:1]')).toBe('2001:db8::1');
    expect(canonicalIp('fe80::1%eth0')).toBe('fe80::1');
    expect(pseudonymiseIp('::ffff:203.0.113.7', key)).toEqual(pseudonymiseIp('203.0.113.7', key));
  });

  it('stores nothing for missing or invalid addresses', () => {
    expect(pseudonymiseIp(undefined, key)).toBeUndefined();
    expect(pseudonymiseIp('not-an-ip', key)).toBeUndefined();
    expect(canonicalIp('999.1.1.1')).toBeUndefined();
  });

  it('refuses a short HMAC key', () => {
    expect(() => pseudonymiseIp('203.0.113.7', { id: 'k', key: randomBytes(8) })).toThrow(RangeError);
  });
});
