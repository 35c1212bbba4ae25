/**
 * The investigator console in a real browser: headless Chromium (the Debian `chromium` package,
 * driven by playwright-core) against the local stack with the CPU worker. Development sign-in,
 * a new incident with the offender marked on the local file, a block upload that loses its
 * connection mid-way and resumes, the live status up to published, the redacted preview, a share
 * opened by the police link, revocation, and the audit trail. Screenshots go to
 * test-output/console/ (not committed).
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { guardBrowser, hasChromium, launchChromium, until } from './chromium.js';
import type { Stack } from '../../local/stack.js';
import { buildConsole } from '../../local/console-build.js';
import { readOutboxLink } from '../../shared/adapters/notify/outbox.js';
import { ensureDemoClip, DEMO_CLIP } from '../fixtures/media/generate.js';
import { testStack } from '../helpers.js';

guardBrowser('investigator console in headless Chromium');

const OUT = join(process.cwd(), 'test-output', 'console');
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Every form control on the page has an accessible name (a <label for>, aria-label or aria-labelledby). */
async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() => {
    const doc = (globalThis as unknown as { document: { querySelectorAll(s: string): ArrayLike<{ id: string; name?: string; type?: string; labels?: ArrayLike<unknown> | null; getAttribute(a: string): string | null; closest(s: string): unknown; textContent: string | null; tagName: string }> } }).document;
    const out: string[] = [];
    for (const el of Array.from(doc.querySelectorAll('input, select, textarea, button'))) {
      if (el.type === 'hidden') continue;
      const named = (el.labels && el.labels.length > 0) || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby') || (el.tagName === 'BUTTON' && (el.textContent ?? '').trim());
      if (!named) out.push(`${el.tagName.toLowerCase()}#${el.id || el.name || '?'}`);
    }
    return out;
  });
}

describe.skipIf(!hasChromium)('investigator console in headless Chromium (local stack, real pipeline)', () => {
  let stack: Stack;
  let browser: Browser;
  let context: BrowserContext;
  let page: Page;
  let clip: Buffer;
  let clipPath: string;
  const requests: Array<{ method: string; url: string }> = [];
  const cspErrors: string[] = [];

  beforeAll(async () => {
    await mkdir(OUT, { recursive: true });
    await buildConsole();
    stack = await testStack('console', { worker: true });
    const demo = await ensureDemoClip(join(stack.config.BYSTANDER_DATA_DIR, 'samples'));
    clipPath = demo.path;
    clip = await readFile(clipPath);
    browser = await launchChromium();
    context = await browser.newContext({ viewport: { width: 1366, height: 900 } });
    page = await context.newPage();
    page.on('request', (r) => requests.push({ method: r.method(), url: r.url() }));
    page.on('console', (m) => {
      if (m.type() === 'error' && /Content Security Policy|Refused/i.test(m.text())) cspErrors.push(m.text());
    });
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await stack?.stop();
  });

  it('signs in, creates an incident with the subject marked, uploads with a dropped connection, reaches published, shares, revokes', async () => {
    // ---- sign-in (development, local stack only), keyboard only
    const first = await page.goto(`${stack.url}/console/`);
    expect(first?.status()).toBe(200);
    const csp = first!.headers()['content-security-policy']!;
    expect(csp).toContain("default-src 'none'");
    expect(csp).toContain("script-src 'self'");
    expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https:/);
    await page.waitForSelector('#dev-signin');
    expect(await page.isVisible('#nav')).toBe(false); // no navigation before signing in
    await page.screenshot({ path: join(OUT, '1-sign-in.png') });
    await page.focus('#dev-signin button[type=submit]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#incidents');
    expect(await page.isVisible('#nav')).toBe(true);

    // ---- create an incident; the local file plays from an object URL; drag a box on the offender
    await page.click('#new-incident');
    await page.waitForSelector('#create-form');
    await page.fill('textarea[name=description]', 'Two bottles taken from aisle 4');
    await page.setInputFiles('input[type=file]', clipPath);
    await page.waitForFunction(() => {
      const v = (globalThis as unknown as { document: { querySelector(s: string): { readyState: number; src: string } | null } }).document.querySelector('#local-video');
      return !!v && v.readyState >= 1 && v.src.startsWith('blob:');
    });
    await page.evaluate(() => {
      const v = (globalThis as unknown as { document: { querySelector(s: string): { currentTime: number; pause(): void } } }).document.querySelector('#local-video');
      v.pause();
      v.currentTime = 1;
    });
    await until('the seek', () => page.evaluate(() => (globalThis as unknown as { document: { querySelector(s: string): { currentTime: number; seeking: boolean } } }).document.querySelector('#local-video').seeking), (s) => !s);
    // Face 0 of the demo clip at t = 1 s: centre (130, 152.5), about 72 px wide, in a 640 × 360 frame.
    await page.click('#draw-box');
    const rect = (await page.locator('canvas.overlay').boundingBox())!;
    const sx = rect.width / DEMO_CLIP.width;
    const sy = rect.height / DEMO_CLIP.height;
    await page.mouse.move(rect.x + 88 * sx, rect.y + 110 * sy);
    await page.mouse.down();
    await page.mouse.move(rect.x + 130 * sx, rect.y + 150 * sy, { steps: 4 });
    await page.mouse.move(rect.x + 174 * sx, rect.y + 196 * sy, { steps: 4 });
    await page.mouse.up();
    await page.click('#mark-subject');
    expect(await page.textContent('#hints')).toMatch(/Subject at 1\.00 s: box \d+, \d+, \d+ × \d+ px/);
    expect(await unlabelledControls(page)).toEqual([]);
    await page.screenshot({ path: join(OUT, '2-new-incident-marked.png'), fullPage: true });

    // ---- upload: the connection drops during the third block — the block reaches the service but
    // its response never reaches the browser — and stays down for 2.5 s. The uploader backs off,
    // asks the API which blocks the service holds, and sends only the others.
    const blobOrigin = new URL(stack.services.blobEndpoint).origin;
    const pageBlockPuts: string[] = [];
    let dropped: string | undefined;
    let downUntil = 0;
    await context.route((url) => url.origin === blobOrigin, async (route) => {
      const m = /comp=block&blockid=([^&]+)/.exec(route.request().url());
      if (route.request().method() !== 'PUT') return route.continue();
      if (m) pageBlockPuts.push(decodeURIComponent(m[1]!));
      if (Date.now() < downUntil) return route.abort('internetdisconnected');
      if (m && pageBlockPuts.length === 3 && !dropped) {
        dropped = decodeURIComponent(m[1]!);
        await route.fetch(); // delivered to the service…
        downUntil = Date.now() + 2500;
        return route.abort('connectionreset'); // …but the browser never hears back
      }
      return route.continue();
    });
    const resumeQueries = () => requests.filter((r) => r.method === 'GET' && /\/evidence\/[\w-]+\/upload$/.test(r.url)).length;
    await page.click('#create-submit');
    await until('the upload to show the dropped connection', () => page.textContent('#upload-text').catch(() => ''), (t) => /connection lost/.test(t ?? ''), 30_000);
    await page.screenshot({ path: join(OUT, '3-upload-connection-lost.png'), fullPage: true });
    await page.waitForSelector('#incident-fields dt', { timeout: 60_000 });
    const incidentId = /#\/incidents\/([\w-]+)/.exec(page.url())![1]!;
    expect(await page.textContent('#status')).toMatch(/Uploaded \(\d+ blocks, 1 already held by the service after a dropped connection\)/);
    const blocks = Math.ceil(clip.length / (64 * 1024));
    expect(blocks).toBeGreaterThanOrEqual(4);
    expect(dropped).toBeDefined();
    expect(resumeQueries()).toBeGreaterThanOrEqual(2); // once at the start, again after the failure
    // The dropped block was never sent again (Get Block List said the service held it); every
    // block was attempted, and apart from the attempts refused while the line was down, once.
    expect(pageBlockPuts.filter((id) => id === dropped)).toHaveLength(1);
    expect(new Set(pageBlockPuts).size).toBe(blocks);
    // The record: declared size and hash, and the subject hint in video pixels (sealed at rest).
    const record = (await stack.app.deps.incidents.get('dev-tenant', incidentId))!.doc;
    const ev = record.evidence[0]!;
    expect(ev.declaredSizeBytes).toBe(clip.length);
    expect(ev.declaredSha256).toBe(sha(clip));
    expect(ev.subjectHints).toHaveLength(1);
    expect(ev.subjectHints[0]!.atSeconds).toBe(1);
    expect(ev.subjectHints[0]!.box!.x).toBeGreaterThanOrEqual(84);
    expect(ev.subjectHints[0]!.box!.x).toBeLessThanOrEqual(92);
    expect(ev.subjectHints[0]!.box!.w).toBeGreaterThanOrEqual(80);
    expect(ev.subjectHints[0]!.box!.w).toBeLessThanOrEqual(92);

    // ---- live status up to published (the page polls the orchestration's custom status)
    await page.screenshot({ path: join(OUT, '4-incident-processing.png'), fullPage: true });
    const statusSel = `#status-${ev.id}`;
    const seen = new Set<string>();
    await until('published', async () => {
      await stack.pump();
      const t = (await page.textContent(statusSel).catch(() => '')) ?? '';
      seen.add(t);
      return t;
    }, (t) => /^(Published|Quarantined|Rejected)/.test(t), 200_000);
    expect(await page.textContent(statusSel)).toBe('Published');
    expect([...seen].some((t) => /Inspecting|Redacting|Recording|Publishing|Waiting|Processing/.test(t))).toBe(true);
    await page.waitForSelector('dl.report');
    const report = (await page.textContent('dl.report'))!;
    expect(report).toContain('Independent check');
    expect(report).toMatch(/Subject mark(matched a tracked person|not matched)/);

    // ---- the redacted preview: bytes of the redacted render, never the original's
    let preview: Buffer = Buffer.alloc(0);
    await context.route((url) => url.pathname.endsWith(`/evidence/${ev.id}/content`), async (route) => {
      const response = await route.fetch(); // the bytes the browser receives, passed on unchanged
      preview = await response.body();
      await route.fulfill({ response, body: preview });
    });
    await page.click(`#preview-${ev.id}`);
    await until('the preview bytes', async () => preview.length, (n) => n > 0);
    const published = (await stack.app.deps.incidents.get('dev-tenant', incidentId))!.doc.evidence[0]!;
    expect(sha(preview)).toBe(published.redacted!.sha256);
    expect(sha(preview)).not.toBe(sha(clip));
    await page.waitForSelector('.preview video');
    await until('the redacted preview to load', () => page.evaluate(() => (globalThis as unknown as { document: { querySelector(s: string): { readyState: number } } }).document.querySelector('.preview video').readyState), (s) => s >= 1);
    await page.screenshot({ path: join(OUT, '5-incident-published.png'), fullPage: true });

    // ---- share, open the police link, revoke with one click
    await page.fill('#share-form input[name=agency]', 'Northshire Constabulary');
    await page.fill('#share-form input[name=officerEmail]', 'officer@example.test');
    await page.click('#share-submit');
    await page.waitForSelector('#share-list tbody tr');
    const shareId = (await page.getAttribute('#share-list tbody tr', 'data-share'))!;
    const link = await until('the notification in the outbox', () => readOutboxLink(join(stack.config.BYSTANDER_DATA_DIR, 'outbox'), shareId), (l) => !!l, 30_000);
    const police = await browser.newContext();
    const policePage = await police.newPage();
    expect((await policePage.goto(link!))?.status()).toBe(200);
    expect(await policePage.textContent('#recipient-notice')).toContain('Northshire Constabulary');
    // Back to the incident (a route change, not a reload: the token lives in this page's memory).
    let listShot = false;
    const reopen = async () => {
      await page.evaluate(() => ((globalThis as unknown as { location: { hash: string } }).location.hash = '#/incidents'));
      await page.waitForSelector('#incidents tbody tr');
      if (!listShot) {
        listShot = true;
        expect(await page.textContent('#incidents tbody')).toContain('1 published');
        await page.screenshot({ path: join(OUT, '6-incident-list.png'), fullPage: true });
      }
      await page.evaluate((id) => ((globalThis as unknown as { location: { hash: string } }).location.hash = `#/incidents/${id}`), incidentId);
      await page.waitForSelector('#share-list tbody tr');
      return page.textContent('#share-list tbody tr');
    };
    const row = await until('the police view to be counted', reopen, (t) => /active/.test(t ?? ''), 30_000);
    expect(row).toContain('Northshire Constabulary');
    await page.screenshot({ path: join(OUT, '7-shared.png'), fullPage: true });
    await page.click(`#share-list tbody tr[data-share="${shareId}"] button.danger`);
    await until('the share to show revoked', () => page.textContent(`#share-list tbody tr[data-share="${shareId}"]`), (t) => /revoked/.test(t ?? ''));
    expect(await page.locator(`#share-list tbody tr[data-share="${shareId}"] button`).count()).toBe(0);
    expect((await policePage.reload())?.status()).toBe(404);
    await police.close();

    // ---- the audit trail on the page (ids and codes only)
    await until('the audit trail', async () => (await reopen(), page.textContent('#audit tbody')), (t) => /share\.revoke/.test(t ?? ''), 20_000);
    const audit = (await page.textContent('#audit tbody'))!;
    for (const action of ['incident.create', 'evidence.published', 'share.create', 'share.view', 'share.revoke', 'audit.read']) expect(audit).toContain(action);
    expect(audit).not.toContain('officer@example.test');
    expect(await unlabelledControls(page)).toEqual([]);
    await page.screenshot({ path: join(OUT, '8-revoked-and-audit.png'), fullPage: true });

    // ---- constraints: only this origin and the stamp's blob endpoint; the browser never reads a blob
    const foreign = requests.filter((r) => !r.url.startsWith(stack.url) && !r.url.startsWith(blobOrigin) && !r.url.startsWith('blob:') && !r.url.startsWith('data:'));
    expect(foreign).toEqual([]);
    const blobRequests = requests.filter((r) => r.url.startsWith(blobOrigin));
    expect(blobRequests.length).toBeGreaterThan(0);
    expect(blobRequests.filter((r) => r.method !== 'PUT' && r.method !== 'OPTIONS')).toEqual([]);
    // Media the console fetched through the API: the redacted content route only.
    expect(requests.filter((r) => r.method === 'GET' && r.url.startsWith(`${stack.url}/api/`) && /\/(content|media|download)/.test(r.url)).map((r) => new URL(r.url).pathname)).toEqual([`/api/incidents/${incidentId}/evidence/${ev.id}/content`]);
    expect(cspErrors).toEqual([]);

    // ---- tokens were in memory only: nothing in storage or the address bar; a reload signs out
    const stored = await page.evaluate(() => {
      const g = globalThis as unknown as { localStorage: { length: number }; sessionStorage: { length: number }; location: { href: string } };
      return { local: g.localStorage.length, session: g.sessionStorage.length, href: g.location.href };
    });
    expect(stored).toEqual({ local: 0, session: 0, href: `${stack.url}/console/#/incidents/${incidentId}` });
    await page.reload();
    await page.waitForSelector('#dev-signin');
  }, 400_000);
});
