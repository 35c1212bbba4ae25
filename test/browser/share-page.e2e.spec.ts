/**
 * The police share page in a real browser: headless Chromium (the Debian `chromium` package, driven
 * by playwright-core) against the local stack. Evidence is published through the real pipeline
 * (upload ▸ blob event ▸ processEvidence ▸ CPU worker ▸ publish), shared through the API, and the
 * link is read from the local outbox, as an officer would receive it.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, Page } from 'playwright-core';
import { guardBrowser, hasChromium, launchChromium, until } from './chromium.js';
import type { Stack } from '../../local/stack.js';
import { readOutboxLink } from '../../shared/adapters/notify/outbox.js';
import { ensureDemoClip } from '../fixtures/media/generate.js';
import { client, incidentBody, sha256, testStack } from '../helpers.js';

guardBrowser('police share page in headless Chromium');

/** The few members of HTMLVideoElement the test uses (the project compiles without the DOM lib). */
interface VideoLike {
  readyState: number;
  currentTime: number;
  duration: number;
  paused: boolean;
  muted: boolean;
  error: { code: number } | null;
  play(): Promise<void>;
}
type Doc = { document: { querySelector(selector: string): VideoLike | null } };

const videoState = (page: Page) =>
  page.evaluate(() => {
    const v = (globalThis as unknown as Doc).document.querySelector('video');
    return v ? { readyState: v.readyState, currentTime: v.currentTime, duration: v.duration, paused: v.paused, error: v.error?.code ?? null } : null;
  });

describe.skipIf(!hasChromium)('police share page in headless Chromium (local stack, real pipeline)', () => {
  let stack: Stack;
  let browser: Browser;
  let incidentId: string;
  let evidenceId: string;
  let shareId: string;
  let link: string;
  let investigator: string;

  beforeAll(async () => {
    stack = await testStack('browser', { worker: true });
    investigator = await stack.devToken(['uploader', 'investigator']);
    const api = client(stack, investigator);
    const clip = await ensureDemoClip(join(stack.config.BYSTANDER_DATA_DIR, 'samples'));
    const bytes = await readFile(clip.path);
    const created = await api.createIncident(incidentBody([{ fileName: 'aisle-camera.mp4', contentType: 'video/mp4', sizeBytes: bytes.length, sha256: sha256(bytes) }]));
    expect(created.status).toBe(201);
    incidentId = created.body.incident.id;
    const slot = created.body.uploads[0];
    evidenceId = slot.evidenceId;
    expect((await api.upload(slot, bytes)).status).toBe(201);
    const evidence = await api.waitFor(incidentId, evidenceId, ['published', 'quarantined', 'rejected'], 200_000);
    expect(evidence.status, JSON.stringify(evidence.quarantine)).toBe('published');

    const shared = await fetch(`${stack.url}/api/incidents/${incidentId}/shares`, {
      method: 'POST',
      headers: { authorization: `Bearer ${investigator}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        recipient: { agency: 'Northshire Constabulary', officerEmail: 'officer@example.test' },
        purpose: 'investigation',
        evidenceIds: [evidenceId],
        accessMode: 'view',
      }),
    });
    expect(shared.status).toBe(201);
    shareId = ((await shared.json()) as { id: string }).id;
    link = await until('the notification in the outbox', () => readOutboxLink(join(stack.config.BYSTANDER_DATA_DIR, 'outbox'), shareId), (l) => !!l, 30_000).then((l) => l!);

    browser = await launchChromium();
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('opens the link from the outbox, the video plays and seeks (Range), then revoke ▸ reload shows the neutral page and the media URL fails', async () => {
    expect(link).toMatch(new RegExp(`^${stack.url}/s/[A-Za-z0-9_-]{43}$`));
    const context = await browser.newContext({ javaScriptEnabled: true });
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') problems.push(m.text());
    });
    const mediaStatuses: number[] = [];
    page.on('response', (r) => {
      if (r.url().includes('/media/')) mediaStatuses.push(r.status());
    });
    const external: string[] = [];
    page.on('request', (r) => {
      if (!r.url().startsWith(stack.url) && !r.url().startsWith('data:')) external.push(r.url());
    });

    const response = await page.goto(link);
    expect(response?.status()).toBe(200);
    const headers = response!.headers();
    expect(headers['content-security-policy']).toMatch(/default-src 'none'/);
    expect(headers['x-frame-options']).toBe('DENY');
    expect(headers['cache-control']).toContain('no-store');
    expect(await page.textContent('#recipient-notice')).toContain('Northshire Constabulary');
    expect(await page.textContent('#expiry')).toMatch(/expires at \d{4}-\d{2}-\d{2} \d{2}:\d{2} UTC/);
    expect(await page.locator('a.download').count()).toBe(0); // view-only share

    // The player loads metadata through the app (no script on the page: the test drives the element).
    const loaded = await until('video metadata', () => videoState(page), (s) => !!s && (s.readyState >= 1 || s.error !== null));
    expect(loaded!.error).toBeNull();
    expect(loaded!.duration).toBeGreaterThan(3);

    await page.evaluate(() => {
      const v = (globalThis as unknown as Doc).document.querySelector('video')!;
      v.muted = true;
      v.currentTime = 1.5;
    });
    await until('the seek', () => videoState(page), (s) => !!s && s.currentTime >= 1.5 && s.readyState >= 2);
    await page.evaluate(() => (globalThis as unknown as Doc).document.querySelector('video')!.play());
    const playing = await until('playback to advance after the seek', () => videoState(page), (s) => !!s && s.currentTime > 1.9);
    expect(playing!.error).toBeNull();
    expect(mediaStatuses).toContain(206); // Chromium fetched byte ranges and the app answered 206
    expect(external).toEqual([]);
    expect(problems.filter((p) => /Content Security Policy|Refused/i.test(p))).toEqual([]);

    const mediaUrl = `${link}/media/${evidenceId}`;
    expect((await context.request.get(mediaUrl, { headers: { range: 'bytes=0-99' } })).status()).toBe(206);

    // Revoke through the API: immediate effect.
    const revoked = await fetch(`${stack.url}/api/shares/${shareId}`, { method: 'DELETE', headers: { authorization: `Bearer ${investigator}` } });
    expect(revoked.status).toBe(200);

    const again = await page.reload();
    expect(again?.status()).toBe(404);
    expect(await page.textContent('h1')).toBe('This link is not available');
    expect(await page.locator('video').count()).toBe(0);
    const media = await context.request.get(mediaUrl, { headers: { range: 'bytes=0-99' } });
    expect(media.status()).toBe(404);
    expect(await media.text()).toContain('This link is not available');

    // The sharer sees the views and media requests.
    const list = await fetch(`${stack.url}/api/incidents/${incidentId}/shares`, { headers: { authorization: `Bearer ${investigator}` } });
    const [share] = ((await list.json()) as { shares: { id: string; status: string; access: Record<string, number> }[] }).shares;
    expect(share).toMatchObject({ id: shareId, status: 'revoked' });
    expect(share!.access.views).toBe(1);
    expect(share!.access.media).toBeGreaterThanOrEqual(1);
    expect(share!.access.denied).toBe(1); // two denials in one window: one audited denial event (coalesced per share and window)
    await context.close();
  });
});
