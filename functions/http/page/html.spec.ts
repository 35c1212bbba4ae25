import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { PAGE_CSP, STYLE_HASH, escapeHtml, renderNeutralPage, renderSharePage } from './html.js';
import { evidence, T0 } from '../../../test/shares/fakes.js';
import type { ShareRecord } from '../../../shared/domain/share.js';
import type { IncidentRecord } from '../../../shared/domain/incident.js';

const incident: IncidentRecord = {
  id: 'inc-1',
  tenantId: 't1',
  geography: 'local',
  storeId: 'store-42',
  occurredAt: '2026-11-19T10:00:00.000Z',
  category: 'theft',
  outcome: 'none',
  description: 'Took <script>alert(1)</script> items',
  evidence: [evidence('ev-1', 'published', 'video'), evidence('ev-3', 'published', 'image')],
  createdAt: T0.toISOString(),
  createdBy: 'u',
  updatedAt: T0.toISOString(),
};
const share = (accessMode: ShareRecord['accessMode']): ShareRecord => ({
  id: 'sh-1',
  tenantId: 't1',
  incidentId: 'inc-1',
  evidenceIds: ['ev-1', 'ev-3'],
  recipient: { agency: "Metropolitan Police & Co's", officerEmail: 'officer@police.example' },
  purpose: 'investigation',
  accessMode,
  status: 'active',
  createdAt: T0.toISOString(),
  createdBy: 'u',
  expiresAt: '2026-11-23T09:00:00.000Z',
  access: { views: 0, media: 0, downloads: 0, denied: 0 },
  updatedAt: T0.toISOString(),
});
const TOKEN = 'x'.repeat(43);

describe('share page HTML', () => {
  it('has a player per video, images inline, the expiry, the recipient notice; no script, no external asset', () => {
    const html = renderSharePage({ token: TOKEN, share: share('view'), incident, evidence: incident.evidence });
    expect(html).toContain(`<video controls preload="metadata" playsinline src="/s/${TOKEN}/media/ev-1">`);
    expect(html).toContain(`<img src="/s/${TOKEN}/media/ev-3"`);
    expect(html).toContain('2026-11-23 09:00 UTC');
    expect(html).toContain('Shared with <strong>Metropolitan Police &#38; Co&#39;s</strong>');
    expect(html).not.toMatch(/<script|javascript:|https?:\/\//i);
    expect(html).not.toContain('officer@police.example');
    expect(html).toContain('Took &#60;script&#62;alert(1)&#60;/script&#62; items');
    expect(html).not.toContain('/download/');
  });

  it('offers downloads only in view+download mode', () => {
    const html = renderSharePage({ token: TOKEN, share: share('view-download'), incident, evidence: incident.evidence });
    expect(html).toContain(`href="/s/${TOKEN}/download/ev-1"`);
  });

  it('the inline stylesheet is allowed by its hash; the CSP is strict', () => {
    const html = renderNeutralPage();
    const style = /<style>([\s\S]*?)<\/style>/.exec(html)![1]!;
    expect(STYLE_HASH).toBe(`'sha256-${createHash('sha256').update(style).digest('base64')}'`);
    expect(PAGE_CSP).toContain("default-src 'none'");
    expect(PAGE_CSP).toContain("media-src 'self'");
    expect(PAGE_CSP).toContain("frame-ancestors 'none'");
    expect(PAGE_CSP).not.toContain('unsafe');
  });

  it('escapes everything interpolated', () => {
    expect(escapeHtml(`<a href="x" onclick='y'>&\``)).toBe('&#60;a href&#61;&#34;x&#34; onclick&#61;&#39;y&#39;&#62;&#38;&#96;');
  });
});
