/**
 * Request origin for audit events, without storing IP addresses.
 *
 * Decision: store a keyed HMAC-SHA256 of the canonical client IP, truncated to 128 bits, together
 * with the id of the HMAC key. Rationale:
 * - A plain or salted hash of an IPv4 address is reversible by enumerating all 2³² addresses in
 *   minutes when the salt sits next to it; a secret key (kept in Key Vault, not in the database)
 *   makes the value useless to anyone reading the audit container or a leaked export.
 * - /24 truncation still discloses the network (often the organisation, e.g. a police force or a
 *   shop), yet cannot tell two clients on that network apart, and cannot answer "did address X
 *   open this link?" during an investigation. The HMAC can: whoever holds the key can test a
 *   specific address, and equal values show repeated access from one address (e.g. a leaked link
 *   used from an unexpected place) without revealing it.
 * - Rotating the key (e.g. yearly, recorded as `keyId`) limits linkability over time; destroying an
 *   old key turns its values into anonymous tokens once they are no longer needed.
 * The value remains pseudonymous personal data under GDPR; it is covered by audit retention.
 */
import { createHmac, type KeyObject } from 'node:crypto';
import net from 'node:net';

/** Secret HMAC key for IP pseudonymisation (≥ 32 bytes), with its id. */
export interface OriginKey {
  id: string;
  key: Buffer | KeyObject;
}

/**
 * Canonical text form of an IP address: IPv4 dotted quad; IPv4-mapped IPv6 as IPv4; other IPv6
 * lower-case and compressed; zone ids dropped. Returns undefined for anything that is not an IP.
 */
export function canonicalIp(raw: string): string | undefined {
  let ip = raw.trim();
  if (ip.startsWith('[') && ip.endsWith(']')) ip = ip.slice(1, -1);
  const zone = ip.indexOf('%');
  if (zone >= 0) ip = ip.slice(0, zone);
  const kind = net.isIP(ip);
  if (kind === 4) return ip.split('.').map((p) => String(Number(p))).join('.');
  if (kind !== 6) return undefined;
  const compressed = new URL(`http://[${ip}]/`).hostname.slice(1, -1);
  const mapped = /^::ffff:([0-9a-f]{1,4}):([0-9a-f]{1,4})$/.exec(compressed);
  if (mapped) {
    const hi = parseInt(mapped[1] ?? '0', 16);
    const lo = parseInt(mapped[2] ?? '0', 16);
    return [hi >> 8, hi & 0xff, lo >> 8, lo & 0xff].join('.');
  }
  return compressed;
}

/**
 * The audit representation of a client IP: `{ hmac, keyId }`, or undefined when `ip` is not a
 * valid address (then nothing about it is stored).
 */
export function pseudonymiseIp(ip: string | undefined, key: OriginKey): { hmac: string; keyId: string } | undefined {
  if (ip === undefined) return undefined;
  const canonical = canonicalIp(ip);
  if (canonical === undefined) return undefined;
  if (Buffer.isBuffer(key.key) && key.key.length < 32) throw new RangeError('origin: HMAC key must be at least 32 bytes');
  const mac = createHmac('sha256', key.key).update('bystander/audit-ip/v1\0').update(canonical).digest();
  return { hmac: mac.subarray(0, 16).toString('base64url'), keyId: key.id };
}
