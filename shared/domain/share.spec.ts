import { describe, expect, it } from 'vitest';
import {
  CreateShareSchema,
  ShareRecordSchema,
  effectiveStatus,
  evaluateShare,
  hashShareToken,
  isExpired,
  isTokenShaped,
  newShareToken,
  sameHash,
  shareExpiry,
  toShareView,
  type ShareRecord,
} from './share.js';
import { evidence, T0 } from '../../test/shares/fakes.js';
import type { IncidentRecord } from './incident.js';

const share: ShareRecord = {
  id: 'sh-1',
  tenantId: 't1',
  incidentId: 'inc-1',
  evidenceIds: ['ev-1', 'ev-2'],
  recipient: { agency: 'Metropolitan Police', officerEmail: 'officer@police.example' },
  purpose: 'investigation',
  accessMode: 'view',
  status: 'active',
  tokenHash: hashShareToken('t'.repeat(43)),
  createdAt: T0.toISOString(),
  createdBy: 'u',
  expiresAt: '2026-11-23T09:00:00.000Z',
  access: { views: 0, media: 0, downloads: 0, denied: 0 },
  updatedAt: T0.toISOString(),
};
const incident = (ev = [evidence('ev-1', 'published'), evidence('ev-2', 'quarantined')]): IncidentRecord => ({
  id: 'inc-1',
  tenantId: 't1',
  geography: 'local',
  storeId: 's',
  occurredAt: T0.toISOString(),
  category: 'theft',
  outcome: 'none',
  description: 'd',
  evidence: ev,
  createdAt: T0.toISOString(),
  createdBy: 'u',
  updatedAt: T0.toISOString(),
});

describe('link tokens', () => {
  it('are 256 bits from the CSPRNG, base64url, all different', () => {
    const tokens = Array.from({ length: 1000 }, newShareToken);
    expect(new Set(tokens).size).toBe(1000);
    for (const t of tokens.slice(0, 50)) {
      expect(isTokenShaped(t)).toBe(true);
      expect(Buffer.from(t, 'base64url')).toHaveLength(32);
    }
    expect(isTokenShaped('abc')).toBe(false);
    expect(isTokenShaped(`${tokens[0]!.slice(0, 42)}/`)).toBe(false);
  });

  it('are stored as SHA-256 and compared in constant time', () => {
    const t = newShareToken();
    const h = hashShareToken(t);
    expect(h).toMatch(/^[0-9a-f]{64}$/);
    expect(h).not.toContain(t);
    expect(sameHash(h, hashShareToken(t))).toBe(true);
    expect(sameHash(h, hashShareToken(newShareToken()))).toBe(false);
    expect(sameHash(undefined, h)).toBe(false);
    expect(sameHash('ab', h)).toBe(false);
  });
});

describe('expiry', () => {
  it('defaults to 72 h and never exceeds 7 days', () => {
    expect(shareExpiry(T0).getTime() - T0.getTime()).toBe(72 * 3600_000);
    expect(shareExpiry(T0, 1000).getTime() - T0.getTime()).toBe(168 * 3600_000);
    expect(CreateShareSchema.parse({ recipient: share.recipient, purpose: 'investigation', evidenceIds: ['a'], accessMode: 'view' }).expiresInHours).toBe(72);
  });

  it('is expired at the boundary instant, not one millisecond before', () => {
    const at = Date.parse(share.expiresAt);
    expect(isExpired(share, new Date(at - 1))).toBe(false);
    expect(isExpired(share, new Date(at))).toBe(true);
    expect(effectiveStatus(share, new Date(at))).toBe('expired');
    expect(toShareView(share, new Date(at)).status).toBe('expired');
    expect(effectiveStatus({ ...share, status: 'revoked' }, new Date(at))).toBe('revoked');
  });
});

describe('evaluateShare', () => {
  const now = new Date('2026-11-21T00:00:00Z');
  it('serves only published evidence; quarantined items never', () => {
    const v = evaluateShare(share, incident(), now);
    expect(v.ok && v.evidence.map((e) => e.id)).toEqual(['ev-1']);
  });
  it('a share whose evidence is gone, or whose incident is gone, is dead', () => {
    expect(evaluateShare(share, incident([evidence('ev-2', 'quarantined')]), now)).toEqual({ ok: false, reason: 'evidence-deleted' });
    expect(evaluateShare(share, undefined, now)).toEqual({ ok: false, reason: 'evidence-deleted' });
  });
  it('revoked, pending, failed and expired shares serve nothing', () => {
    for (const status of ['revoked', 'pending', 'failed', 'expired'] as const) {
      expect(evaluateShare({ ...share, status }, incident(), now)).toEqual({ ok: false, reason: `share-${status}` });
    }
    expect(evaluateShare(share, incident(), new Date(share.expiresAt))).toEqual({ ok: false, reason: 'share-expired' });
  });
});

describe('schemas are the minimisation policy', () => {
  it('reject unknown fields in input and records', () => {
    const input = { recipient: share.recipient, purpose: 'investigation', evidenceIds: ['a'], accessMode: 'view' };
    expect(CreateShareSchema.safeParse({ ...input, officerName: 'J. Smith' }).success).toBe(false);
    expect(CreateShareSchema.safeParse({ ...input, recipient: { ...share.recipient, phone: '1' } }).success).toBe(false);
    expect(CreateShareSchema.safeParse({ ...input, purpose: 'curiosity' }).success).toBe(false);
    expect(CreateShareSchema.safeParse({ ...input, accessMode: 'edit' }).success).toBe(false);
    expect(CreateShareSchema.safeParse({ ...input, evidenceIds: ['a', 'a'] }).success).toBe(false);
    expect(CreateShareSchema.safeParse({ ...input, recipient: { ...share.recipient, agency: '<b>Police</b>' } }).success).toBe(false);
    expect(ShareRecordSchema.safeParse({ ...share, token: 'x' }).success).toBe(false);
  });
  it('the sharer view never contains the token hash', () => {
    expect(JSON.stringify(toShareView(share, T0))).not.toContain(share.tokenHash!);
  });
});
