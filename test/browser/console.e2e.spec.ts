/**
 * The investigator console in a real browser: headless Chromium (the Debian `chromium` package,
 * driven by playwright-core) against the local stack with the CPU worker. Development sign-in,
 * a new incident with the offender marked on the local file, a block upload that loses its
 * connection mid-way and resumes, the live status up to published, the redacted preview, a share
 * opened by the police link, revocation, and the audit trail. Then review before publishing: the
 * admin's review setting, a subject mark holding two faces (ambiguous: the engine is unsure and the
 * item waits for a person), the reasons, the review render with its tracks, a track kept and a box
 * drawn over a span, the re-render (the browser's preview bytes are the recorded current render,
 * never the original), approval, publication, share and revocation. Screenshots go to
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

  type DomVideo = { readyState: number; src: string; currentTime: number; seeking: boolean; pause(): void };
  const go = (hash: string) => page.evaluate((h) => ((globalThis as unknown as { location: { hash: string } }).location.hash = h), hash);

  /** Development sign-in with the keyboard (all roles). */
  async function signIn(): Promise<void> {
    await page.waitForSelector('#dev-signin');
    await page.focus('#dev-signin button[type=submit]');
    await page.keyboard.press('Enter');
    await page.waitForSelector('#incidents');
  }

  /** Pauses a video at `seconds` and waits for the seek to finish. */
  async function seek(selector: string, seconds: number): Promise<void> {
    await page.evaluate(
      ([sel, t]) => {
        const v = (globalThis as unknown as { document: { querySelector(s: string): DomVideo } }).document.querySelector(sel as string);
        v.pause();
        v.currentTime = t as number;
      },
      [selector, seconds] as const,
    );
    await until('the seek', () => page.evaluate((sel) => (globalThis as unknown as { document: { querySelector(s: string): DomVideo } }).document.querySelector(sel).seeking, selector), (x) => !x);
  }

  /** Drags from (x0, y0) to (x1, y1), given in the demo clip's pixels (640 × 360), on the overlay. */
  async function dragOnOverlay(x0: number, y0: number, x1: number, y1: number): Promise<void> {
    const rect = (await page.locator('canvas.overlay').boundingBox())!;
    const sx = rect.width / DEMO_CLIP.width;
    const sy = rect.height / DEMO_CLIP.height;
    await page.mouse.move(rect.x + x0 * sx, rect.y + y0 * sy);
    await page.mouse.down();
    await page.mouse.move(rect.x + ((x0 + x1) / 2) * sx, rect.y + ((y0 + y1) / 2) * sy, { steps: 4 });
    await page.mouse.move(rect.x + x1 * sx, rect.y + y1 * sy, { steps: 4 });
    await page.mouse.up();
  }

  /** The new-incident form with the demo clip chosen and the subject box dragged at t = 1 s (not yet submitted). */
  async function newIncidentWithSubject(description: string, box: [number, number, number, number]): Promise<void> {
    await page.click('#new-incident');
    await page.waitForSelector('#create-form');
    await page.fill('textarea[name=description]', description);
    await page.setInputFiles('input[type=file]', clipPath);
    await page.waitForFunction((sel) => {
      const v = (globalThis as unknown as { document: { querySelector(s: string): DomVideo | null } }).document.querySelector(sel);
      return !!v && v.readyState >= 1 && v.src.startsWith('blob:');
    }, '#local-video');
    await seek('#local-video', 1);
    await page.click('#draw-box');
    await dragOnOverlay(...box);
    await page.click('#mark-subject');
  }

  /** Polls the evidence's status on the incident page (pumping the stack) until it matches `done` or ends (published, quarantined, rejected). */
  async function statusUntil(evidenceId: string, done: RegExp, seen?: Set<string>): Promise<string> {
    return until(`status ${done}`, async () => {
      await stack.pump();
      const t = (await page.textContent(`#status-${evidenceId}`).catch(() => '')) ?? '';
      seen?.add(t);
      return t;
    }, (t) => done.test(t) || /^(Published|Quarantined|Rejected)/.test(t), 200_000);
  }

  /** Shares the incident's published evidence from its page; returns the share id and the police link from the outbox. */
  async function share(agency: string): Promise<{ shareId: string; link: string }> {
    await page.fill('#share-form input[name=agency]', agency);
    await page.fill('#share-form input[name=officerEmail]', 'officer@example.test');
    await page.click('#share-submit');
    await page.waitForSelector('#share-list tbody tr');
    const shareId = (await page.getAttribute('#share-list tbody tr', 'data-share'))!;
    const link = await until('the notification in the outbox', () => readOutboxLink(join(stack.config.BYSTANDER_DATA_DIR, 'outbox'), shareId), (l) => !!l, 30_000);
    return { shareId, link: link! };
  }

  /** The officer opens the police link in a browser of their own (no console session). */
  async function policeOpens(link: string, agency: string): Promise<{ police: BrowserContext; policePage: Page }> {
    const police = await browser.newContext();
    const policePage = await police.newPage();
    expect((await policePage.goto(link))?.status()).toBe(200);
    expect(await policePage.textContent('#recipient-notice')).toContain(agency);
    return { police, policePage };
  }

  /** Revokes a share with one click and waits until its row says so. */
  async function revoke(shareId: string): Promise<void> {
    await page.click(`#share-list tbody tr[data-share="${shareId}"] button.danger`);
    await until('the share to show revoked', () => page.textContent(`#share-list tbody tr[data-share="${shareId}"]`), (t) => /revoked/.test(t ?? ''));
    expect(await page.locator(`#share-list tbody tr[data-share="${shareId}"] button`).count()).toBe(0);
  }

  /** Opens the incident again by a route change (the token lives in this page's memory); returns the first share row. */
  async function openIncident(incidentId: string): Promise<string | null> {
    await go(`#/incidents/${incidentId}`);
    await page.waitForSelector('#share-list tbody tr');
    return page.textContent('#share-list tbody tr');
  }

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
    await signIn();
    expect(await page.isVisible('#nav')).toBe(true);
    expect(await page.isVisible('#nav-settings')).toBe(true); // signed in with the admin role too

    // ---- create an incident; the local file plays from an object URL; drag a box on the offender.
    // Face 0 of the demo clip at t = 1 s: centre (130, 152.5), about 72 px wide, in a 640 × 360 frame.
    await newIncidentWithSubject('Two bottles taken from aisle 4', [88, 110, 174, 196]);
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
    await statusUntil(ev.id, /^Awaiting review/, seen); // (fails fast if the item is held for review)
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
    const { shareId, link } = await share('Northshire Constabulary');
    const { police, policePage } = await policeOpens(link, 'Northshire Constabulary');
    // Back to the incident (a route change, not a reload: the token lives in this page's memory).
    let listShot = false;
    const reopen = async () => {
      await go('#/incidents');
      await page.waitForSelector('#incidents tbody tr');
      if (!listShot) {
        listShot = true;
        expect(await page.textContent('#incidents tbody')).toContain('1 published');
        await page.screenshot({ path: join(OUT, '6-incident-list.png'), fullPage: true });
      }
      return openIncident(incidentId);
    };
    const row = await until('the police view to be counted', reopen, (t) => /active/.test(t ?? ''), 30_000);
    expect(row).toContain('Northshire Constabulary');
    await page.screenshot({ path: join(OUT, '7-shared.png'), fullPage: true });
    await revoke(shareId);
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

  it('holds an ambiguous subject for review: reasons, keep a track, draw a box over a span, apply, approve, publish, share, revoke', async () => {
    if (await page.isVisible('#dev-signin')) await signIn();
    else await page.goto(`${stack.url}/console/`).then(signIn);
    await page.waitForSelector('#new-incident');

    // ---- the organisation's review setting (admins): when-needed by default; saved through PUT /api/settings
    const chooseReview = async (mode: string) => {
      await page.selectOption('#review-mode', mode);
      await page.click('#settings-save');
      await until(`the ${mode} setting saved`, () => page.textContent('#status'), (t) => t === `Saved: review ${mode}.`);
      expect((await stack.app.tenantSettings.readReviewRule('dev-tenant')).review).toBe(mode);
    };
    await page.click('#nav-settings');
    await page.waitForSelector('#settings-form');
    await until('the settings to load', () => page.textContent('#review-deadline-hours'), (t) => /\d+ hours/.test(t ?? ''));
    expect(await page.inputValue('#review-mode')).toBe('when-needed');
    expect(await unlabelledControls(page)).toEqual([]);
    await chooseReview('always');
    await chooseReview('when-needed'); // only unsure renders wait for a person
    await go('#/incidents');
    await page.waitForSelector('#new-incident');

    // ---- a subject box holding BOTH large faces of the demo clip at t = 1 s (face 0 at (130, 152.5),
    // 72 px; face 1 at (525, 122.5), 57 px): the hint is ambiguous, the engine unsure, and the
    // tenant's default setting (when-needed) holds the render for a person.
    await newIncidentWithSubject('A bag taken at the entrance; two people near the door', [80, 85, 565, 200]);
    expect(await page.textContent('#hints')).toMatch(/Subject at 1\.00 s: box \d+, \d+, \d+ × \d+ px/);
    await page.click('#create-submit');
    await page.waitForSelector('#incident-fields dt', { timeout: 60_000 });
    const incidentId = /#\/incidents\/([\w-]+)$/.exec(page.url())![1]!;
    const ev = (await stack.app.deps.incidents.get('dev-tenant', incidentId))!.doc.evidence[0]!;
    expect(ev.subjectHints[0]!.box!.w).toBeGreaterThanOrEqual(470);
    expect(await statusUntil(ev.id, /^Awaiting review/)).toMatch(/^Awaiting review/);

    // ---- the incident page says why and until when, and links to the review
    await page.waitForSelector(`#reasons-${ev.id} li`);
    expect(await page.getAttribute(`#reasons-${ev.id} li[data-reason="subject-ambiguous"]`, 'data-reason')).toBe('subject-ambiguous');
    expect(await page.textContent(`#reasons-${ev.id}`)).toContain('matched several people');
    expect(await page.textContent(`#review-summary-${ev.id}`)).toMatch(/Decide by \d{4}-\d\d-\d\d \d\d:\d\d UTC/);
    expect(await page.locator(`#preview-${ev.id}`).count()).toBe(0); // nothing published to preview yet
    await page.screenshot({ path: join(OUT, '9-awaiting-review.png'), fullPage: true });

    // ---- the review page: the redacted review render (every fetched body kept), the tracks over it
    const previews: Buffer[] = [];
    await context.route((url) => url.pathname.endsWith(`/evidence/${ev.id}/preview`), async (route) => {
      const response = await route.fetch(); // the bytes the browser receives, passed on unchanged
      const body = await response.body();
      previews.push(body);
      await route.fulfill({ response, body });
    });
    type Review = { render: { version: number; width: number; height: number; fps: number }; reasons: string[]; tracks: Array<{ id: number; class: string; kept: boolean; firstFrame: number; lastFrame: number; boxes: Array<{ frame: number; x: number; y: number; w: number; h: number }> }> };
    const reviewResponse = page.waitForResponse((r) => r.request().method() === 'GET' && new URL(r.url()).pathname.endsWith(`/evidence/${ev.id}/review`));
    await page.click(`#review-${ev.id}`);
    const review = (await (await reviewResponse).json()) as Review;
    expect(review.reasons).toContain('subject-ambiguous');
    expect(review.render.version).toBe(0);
    await page.waitForSelector('#review-tracks tbody tr');
    expect(await page.textContent('#review-reasons')).toContain('matched several people');
    await until('the review render', async () => previews.length, (n) => n >= 1);
    await page.waitForSelector('#review-media');
    await until('the review render to load', () => page.evaluate(() => (globalThis as unknown as { document: { querySelector(s: string): { readyState: number } } }).document.querySelector('#review-media').readyState), (s) => s >= 1);
    expect(sha(previews[0]!)).not.toBe(sha(clip));
    expect(sha(previews[0]!)).toBe((await stack.app.deps.incidents.get('dev-tenant', incidentId))!.doc.evidence[0]!.redacted!.sha256);
    // Nobody is kept in the automatic render (fail-safe); every track is listed with its buttons.
    expect(review.tracks.filter((t) => t.kept)).toEqual([]);
    expect(await page.locator('#review-tracks tbody tr').count()).toBe(review.tracks.length);

    // ---- keep face 0's track as the subject: the face track nearest (130, 152.5) at frame 25
    const scale = review.render.width / DEMO_CLIP.width;
    const distance = (t: Review['tracks'][number]) => {
      const b = [...t.boxes].sort((a, c) => Math.abs(a.frame - 25) - Math.abs(c.frame - 25))[0]!;
      return Math.hypot(b.x + b.w / 2 - 130 * scale, b.y + b.h / 2 - 152.5 * scale);
    };
    const subject = review.tracks.filter((t) => t.class === 'face' && t.firstFrame <= 25 && t.lastFrame >= 25).sort((a, c) => distance(a) - distance(c))[0]!;
    expect(distance(subject)).toBeLessThan(30 * scale);
    await page.focus(`#keep-${subject.id}`); // with the keyboard
    await page.keyboard.press('Enter');
    expect(await page.getAttribute(`#keep-${subject.id}`, 'aria-pressed')).toBe('true');
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe(`keep-${subject.id}`); // focus stays on the button

    // ---- draw one box at t = 2 s over face 2's region (330-370, 230-290), from 1 s to 4 s (the defaults)
    await seek('#review-media', 2);
    await page.click('#review-draw');
    const span = [Number(await page.inputValue('#review-from')), Number(await page.inputValue('#review-to'))] as const;
    expect(span[0]).toBe(1);
    expect(span[1]).toBeGreaterThan(3.9); // 2 s after, within the 4 s clip
    expect(span[1]).toBeLessThanOrEqual(4.05);
    await dragOnOverlay(320, 225, 380, 292);
    const drawn = await Promise.all(['x', 'y', 'w', 'h'].map((k) => page.inputValue(`#review-box-${k}`).then(Number)));
    expect(drawn[0]! / scale).toBeGreaterThanOrEqual(316);
    expect(drawn[0]! / scale).toBeLessThanOrEqual(324);
    expect(drawn[2]! / scale).toBeGreaterThanOrEqual(54);
    expect(drawn[2]! / scale).toBeLessThanOrEqual(66);
    await page.click('#review-add-box');
    const pending = (await page.textContent('#pending-edits'))!;
    expect(pending).toContain(`Keep as subject track #${subject.id}`);
    expect(pending).toContain(`Box 1: ${drawn[0]}, ${drawn[1]}, ${drawn[2]} × ${drawn[3]} px, 1.00–${span[1].toFixed(2)} s (drawn at 2.00 s)`);
    expect(await unlabelledControls(page)).toEqual([]);
    // Approving now would publish the render shown without these edits: the page refuses until they are applied.
    expect(await page.isDisabled('#review-approve')).toBe(true);
    await page.screenshot({ path: join(OUT, '10-review-edit.png'), fullPage: true });

    // ---- apply: the whole edit set against version 0; the page shows rendering, then the new render
    const editsRequest = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/evidence/${ev.id}/review/edits`));
    await page.click('#review-apply');
    const sent = (await editsRequest).postDataJSON() as { baseVersion: number; keepTracks: number[]; boxes: Array<{ atSeconds: number; fromSeconds: number; toSeconds: number; box: { x: number; w: number } }> };
    expect(sent.baseVersion).toBe(0);
    expect(sent.keepTracks).toEqual([subject.id]);
    expect(sent.boxes).toEqual([{ atSeconds: 2, fromSeconds: 1, toSeconds: span[1], box: { x: drawn[0], y: drawn[1], w: drawn[2], h: drawn[3] } }]);
    const states = new Set<string>();
    await until('render version 1', async () => {
      await stack.pump();
      const t = (await page.textContent('#review-state')) ?? '';
      states.add(t);
      return t;
    }, (t) => /^Render version 1 ready/.test(t) || /^Decided/.test(t), 200_000);
    expect(await page.textContent('#review-state')).toMatch(/^Render version 1 ready/);
    expect([...states].some((t) => t.startsWith('Rendering…'))).toBe(true);
    expect(await page.textContent(`#review-tracks tbody tr[data-track="${subject.id}"]`)).toContain('kept visible');
    expect(await page.textContent('#review-history tbody')).toMatch(/1\s*edits applied/);
    expect(await page.isDisabled('#review-approve')).toBe(false);

    // The browser's last preview is the CURRENT render recorded for the item, and never the original.
    await until('the new render fetched', async () => previews.length, (n) => n >= 2);
    const current = (await stack.app.deps.incidents.get('dev-tenant', incidentId))!.doc.evidence[0]!;
    expect(sha(previews.at(-1)!)).toBe(current.redacted!.sha256);
    expect(sha(previews.at(-1)!)).not.toBe(sha(previews[0]!));
    for (const p of previews) expect(sha(p)).not.toBe(sha(clip));

    // ---- rejecting asks for a confirmation on the page (here: cancelled, nothing sent)
    await page.selectOption('#reject-reason', 'subject-not-visible');
    await page.click('#review-reject');
    expect(await page.isVisible('#reject-confirm')).toBe(true);
    expect(await page.evaluate(() => (globalThis as unknown as { document: { activeElement: { id: string } | null } }).document.activeElement?.id)).toBe('reject-confirm');
    await page.click('#reject-cancel');
    expect(await page.isVisible('#reject-confirm')).toBe(false);
    expect(await page.isVisible('#review-reject')).toBe(true);
    expect(requests.filter((r) => r.method === 'POST' && r.url.endsWith('/review/reject'))).toEqual([]);

    // ---- approve the render seen: back on the incident page, up to published
    const approveRequest = page.waitForRequest((r) => r.method() === 'POST' && r.url().endsWith(`/evidence/${ev.id}/review/approve`));
    await page.click('#review-approve');
    expect((await approveRequest).postDataJSON()).toEqual({ version: 1 });
    await page.waitForSelector(`#status-${ev.id}`);
    expect(await statusUntil(ev.id, /^Published$/)).toBe('Published');
    await page.waitForSelector(`#preview-${ev.id}`);
    expect(await page.locator(`#review-${ev.id}`).count()).toBe(0);
    const published = (await stack.app.deps.incidents.get('dev-tenant', incidentId))!.doc.evidence[0]!;
    expect(published.redacted!.sha256).toBe(current.redacted!.sha256); // the approved render is what is published
    await page.screenshot({ path: join(OUT, '11-review-approved.png'), fullPage: true });

    // ---- share, open the police link, revoke
    const { shareId, link } = await share('Southshire Police');
    const { police, policePage } = await policeOpens(link, 'Southshire Police');
    expect(await until('the police view to be counted', () => openIncident(incidentId), (t) => /active/.test(t ?? ''), 30_000)).toContain('Southshire Police');
    await revoke(shareId);
    expect((await policePage.reload())?.status()).toBe(404);
    await police.close();

    // ---- the audit trail holds the review decisions; media only ever came from the redacted routes
    await until('the audit trail', async () => (await openIncident(incidentId), page.textContent('#audit tbody')), (t) => /share\.revoke/.test(t ?? ''), 20_000);
    const audit = (await page.textContent('#audit tbody'))!;
    for (const action of ['review.edit', 'review.approve', 'evidence.published', 'share.revoke']) expect(audit).toContain(action);
    const mediaPaths = new Set(requests.filter((r) => r.method === 'GET' && r.url.includes(`/evidence/${ev.id}/`) && /\/(content|media|download|preview|original)/.test(r.url)).map((r) => new URL(r.url).pathname));
    expect([...mediaPaths].sort()).toEqual([`/api/incidents/${incidentId}/evidence/${ev.id}/preview`]);
    expect(cspErrors).toEqual([]);

    // ---- without the admin role there is no settings link, and the page says why
    await page.click('#signout');
    await page.waitForSelector('#dev-signin');
    for (const role of ['uploader', 'admin']) await page.uncheck(`#dev-signin input[value=${role}]`);
    await signIn();
    expect(await page.isVisible('#nav-settings')).toBe(false);
    await go('#/settings');
    await until('the settings page', () => page.textContent('#settings'), (t) => /Settings need the admin role/.test(t ?? ''));
    expect(await page.locator('#review-mode').count()).toBe(0);
  }, 500_000);
});
