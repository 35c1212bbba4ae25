import { describe, expect, it } from 'vitest';
import { ProblemError } from '../http/problem.js';
import { AuthError } from '../auth/tokens.js';
import { hashShareToken, newShareToken } from '../domain/share.js';
import {
  createShare,
  expireShare,
  failShare,
  flushShareDenials,
  issueShareLink,
  listShares,
  openShareMedia,
  openSharePage,
  resolveShare,
  revokeShare,
  SHARE_LIFECYCLE,
  SHARE_REVOKED_EVENT,
  type ShareRef,
} from './shares.js';
import { updateIncident } from './update-incident.js';
import { FakeOrchestrations, PLAINTEXT, T0, client, fakeDeps, investigator, otherTenant, readAll, seedIncident, shareBody, uploader } from '../../test/shares/fakes.js';

const HOUR = 3600_000;

async function problemOf(p: Promise<unknown>) {
  const err = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof ProblemError) return err.problem;
  throw new Error(`expected a ProblemError, got ${String(err)}`);
}

/** A share created, its link issued and sent; returns the token the officer received. */
async function activeShare(f: ReturnType<typeof fakeDeps>, body: Record<string, unknown> = {}) {
  await seedIncident(f).catch(() => undefined);
  const orch = new FakeOrchestrations();
  const view = await createShare(f.deps, orch, investigator, 'inc-1', shareBody(body), '198.51.100.1');
  const ref: ShareRef = { tenantId: 't1', incidentId: 'inc-1', shareId: view.id };
  expect(await issueShareLink(f.deps, ref)).toEqual({ sent: true });
  return { view, ref, orch, token: f.notifier.lastToken()! };
}

describe('createShare', () => {
  it('creates a pending share with a 72 h default expiry and starts the lifecycle with ids only; no token anywhere in the answer', async () => {
    const f = fakeDeps();
    await seedIncident(f);
    const orch = new FakeOrchestrations();
    const view = await createShare(f.deps, orch, investigator, 'inc-1', shareBody(), '198.51.100.1');
    expect(view).toMatchObject({ incidentId: 'inc-1', status: 'pending', accessMode: 'view', purpose: 'investigation', evidenceIds: ['ev-1', 'ev-3'] });
    expect(Date.parse(view.expiresAt) - T0.getTime()).toBe(72 * HOUR);
    expect(JSON.stringify(view)).not.toMatch(/token/i);
    expect(orch.started).toEqual([
      { name: SHARE_LIFECYCLE, instanceId: `share-${view.id}`, input: { tenantId: 't1', incidentId: 'inc-1', shareId: view.id, expiresAt: view.expiresAt, maxTimerDays: 6 } },
    ]);
    expect(f.audit).toContainEqual(expect.objectContaining({ action: 'share.create', outcome: 'succeeded', target: { incidentId: 'inc-1', shareId: view.id }, origin: '198.51.100.1' }));
  });

  it('accepts an expiry of up to 7 days and refuses longer', async () => {
    const f = fakeDeps();
    await seedIncident(f);
    const view = await createShare(f.deps, new FakeOrchestrations(), investigator, 'inc-1', shareBody({ expiresInHours: 168 }));
    expect(Date.parse(view.expiresAt) - T0.getTime()).toBe(168 * HOUR);
    const p = await problemOf(createShare(f.deps, new FakeOrchestrations(), investigator, 'inc-1', shareBody({ expiresInHours: 169 })));
    expect(p.status).toBe(400);
  });

  it('rejects unknown fields with 400 problem details naming them', async () => {
    const f = fakeDeps();
    await seedIncident(f);
    const p = await problemOf(
      createShare(f.deps, new FakeOrchestrations(), investigator, 'inc-1', { ...shareBody(), note: 'x', recipient: { ...shareBody().recipient, rank: 'DS' } }),
    );
    expect(p).toMatchObject({ status: 400, title: 'Unknown fields are not accepted' });
    expect(p.unknownFields).toEqual(expect.arrayContaining(['note', 'recipient.rank']));
  });

  it('refuses quarantined evidence (422), and processing or unknown evidence, and audits the refusal', async () => {
    const f = fakeDeps();
    await seedIncident(f);
    const q = await problemOf(createShare(f.deps, new FakeOrchestrations(), investigator, 'inc-1', shareBody({ evidenceIds: ['ev-1', 'ev-2'] })));
    expect(q).toMatchObject({ status: 422, refused: [{ evidenceId: 'ev-2', status: 'quarantined' }] });
    const p = await problemOf(createShare(f.deps, new FakeOrchestrations(), investigator, 'inc-1', shareBody({ evidenceIds: ['ev-4', 'nope'] })));
    expect(p.refused).toEqual([
      { evidenceId: 'ev-4', status: 'processing' },
      { evidenceId: 'nope', status: 'not-found' },
    ]);
    expect(f.audit.filter((a) => a.action === 'share.create').map((a) => [a.outcome, a.reason])).toEqual([
      ['denied', 'evidence-quarantined'],
      ['denied', 'evidence-not-published'],
    ]);
    expect(f.shares.docs.size).toBe(0);
  });

  it('needs the investigator or admin role, and the same tenant', async () => {
    const f = fakeDeps();
    await seedIncident(f);
    await expect(createShare(f.deps, new FakeOrchestrations(), uploader, 'inc-1', shareBody())).rejects.toBeInstanceOf(AuthError);
    const p = await problemOf(createShare(f.deps, new FakeOrchestrations(), otherTenant, 'inc-1', shareBody()));
    expect(p.status).toBe(404);
    expect(f.shares.docs.size).toBe(0);
  });

  it('refuses an agency webhook when the stamp cannot sign webhooks', async () => {
    const f = fakeDeps();
    await seedIncident(f);
    const p = await problemOf(
      createShare(f.deps, new FakeOrchestrations(), investigator, 'inc-1', shareBody({ recipient: { ...shareBody().recipient, webhookUrl: 'https://hooks.police.example/in' } })),
    );
    expect(p.status).toBe(422);
  });

  it('refuses agency webhooks that are not https, point inside, or carry credentials (azure mode)', async () => {
    const f = fakeDeps();
    await seedIncident(f);
    Object.assign(f.deps.config, { BYSTANDER_MODE: 'azure' });
    Object.assign(f.deps.sharing, { webhooks: true });
    const hook = (webhookUrl: string) => shareBody({ recipient: { ...shareBody().recipient, webhookUrl } });
    for (const bad of ['http://hooks.police.example/in', 'https://10.0.0.5/in', 'https://user:pw@hooks.police.example/in']) {
      expect((await problemOf(createShare(f.deps, new FakeOrchestrations(), investigator, 'inc-1', hook(bad)))).status).toBe(422);
    }
    const ok = await createShare(f.deps, new FakeOrchestrations(), investigator, 'inc-1', hook('https://hooks.police.example/in'));
    expect(ok.recipient.webhook).toBe(true);
  });
});

describe('issueShareLink (the notification activity)', () => {
  it('sends the link, expiry and incident reference only, and stores only the hash of the token', async () => {
    const f = fakeDeps();
    const { view, token } = await activeShare(f);
    const [msg] = f.notifier.sent;
    expect(msg).toEqual({
      kind: 'share-link',
      tenantId: 't1',
      shareId: view.id,
      incidentRef: 'inc-1',
      link: `https://evidence.example.test/s/${token}`,
      expiresAt: view.expiresAt,
      to: { email: 'officer@police.example' },
    });
    expect(token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const stored = (await f.shares.get('t1', view.id))!.doc;
    expect(stored.status).toBe('active');
    expect(stored.tokenHash).toBe(hashShareToken(token));
  });

  it('never stores or logs the token in clear (records, link index, audit, logs)', async () => {
    const f = fakeDeps();
    const { token } = await activeShare(f);
    await openSharePage(f.deps, token, client());
    const r = await openShareMedia(f.deps, token, 'ev-1', 'inline', client(), () => undefined);
    if (r.ok) await readAll(r.media.stream);
    const everything = JSON.stringify([[...f.shares.docs.values()], [...f.links.docs.values()], [...f.incidents.docs.values()], f.audit, f.logger.lines]);
    expect(everything).not.toContain(token);
    expect(everything).toContain(hashShareToken(token));
  });

  it('a retry issues a new token and retires the previous one', async () => {
    const f = fakeDeps();
    const { ref, token: first } = await activeShare(f);
    await issueShareLink(f.deps, ref);
    const second = f.notifier.lastToken()!;
    expect(second).not.toBe(first);
    expect((await resolveShare(f.deps, first, client())).ok).toBe(false);
    expect((await resolveShare(f.deps, second, client())).ok).toBe(true);
  });

  it('sends nothing for a share revoked before its link went out', async () => {
    const f = fakeDeps();
    await seedIncident(f);
    const orch = new FakeOrchestrations();
    const view = await createShare(f.deps, orch, investigator, 'inc-1', shareBody());
    await revokeShare(f.deps, orch, investigator, view.id);
    expect(await issueShareLink(f.deps, { tenantId: 't1', incidentId: 'inc-1', shareId: view.id })).toEqual({ sent: false, reason: 'share-ended' });
    expect(f.notifier.sent).toEqual([]);
  });
});

describe('resolving a link (police)', () => {
  it('serves an active share: page view audited and counted', async () => {
    const f = fakeDeps();
    const { view, token } = await activeShare(f);
    const access = await openSharePage(f.deps, token, client());
    expect(access.ok).toBe(true);
    if (!access.ok) return;
    expect(access.evidence.map((e) => e.id)).toEqual(['ev-1', 'ev-3']);
    expect(f.audit.at(-1)).toMatchObject({ action: 'share.view', outcome: 'allowed', actor: { type: 'police-link', id: view.id }, target: { shareId: view.id } });
    const list = await listShares(f.deps, investigator, 'inc-1');
    expect(list.shares[0]!.access).toEqual({ views: 1, media: 0, downloads: 0, denied: 0 });
  });

  it('expires exactly at expiresAt (one millisecond before still works), even if no timer has fired', async () => {
    const f = fakeDeps();
    const { view, token } = await activeShare(f, { expiresInHours: 1 });
    f.clock.set(new Date(Date.parse(view.expiresAt) - 1));
    expect((await resolveShare(f.deps, token, client())).ok).toBe(true);
    f.clock.set(view.expiresAt);
    expect(await resolveShare(f.deps, token, client())).toEqual({ ok: false, status: 404 });
    await flushShareDenials(f.deps); // denials are audited after the response
    expect(f.audit.at(-1)).toMatchObject({ action: 'share.denied', outcome: 'denied', reason: 'share-expired' });
    expect((await listShares(f.deps, investigator, 'inc-1')).shares[0]!.status).toBe('expired');
  });

  it('unknown, malformed, expired and revoked links are indistinguishable', async () => {
    const f = fakeDeps();
    const a = await activeShare(f);
    const b = await activeShare(f, { expiresInHours: 1 });
    await revokeShare(f.deps, a.orch, investigator, a.view.id);
    f.clock.advance(2 * HOUR);
    const results = await Promise.all([a.token, b.token, newShareToken(), 'short', `${a.token.slice(0, 42)}!`].map((t) => resolveShare(f.deps, t, client(`10.0.0.${t.length}`))));
    for (const r of results) expect(r).toEqual({ ok: false, status: 404 });
  });

  it('revocation takes effect on the next request and ends the orchestration early', async () => {
    const f = fakeDeps();
    const { view, token, orch } = await activeShare(f);
    expect((await resolveShare(f.deps, token, client())).ok).toBe(true);
    const revoked = await revokeShare(f.deps, orch, investigator, view.id, '198.51.100.1');
    expect(revoked.status).toBe('revoked');
    expect(orch.events).toEqual([{ instanceId: `share-${view.id}`, eventName: SHARE_REVOKED_EVENT, data: { shareId: view.id } }]);
    expect((await resolveShare(f.deps, token, client())).ok).toBe(false);
    await flushShareDenials(f.deps);
    expect(f.audit.map((a) => a.action)).toEqual(expect.arrayContaining(['share.revoke', 'share.denied']));
    // Idempotent, tenant-scoped, role-checked.
    expect((await revokeShare(f.deps, orch, investigator, view.id)).status).toBe('revoked');
    expect((await problemOf(revokeShare(f.deps, orch, otherTenant, view.id))).status).toBe(404);
    await expect(revokeShare(f.deps, orch, uploader, view.id)).rejects.toBeInstanceOf(AuthError);
  });

  it('evidence deleted by retention or erasure makes the share dead; a deleted item is never served', async () => {
    const f = fakeDeps();
    const { token } = await activeShare(f);
    await updateIncident(f.deps, 't1', 'inc-1', (i) => ({ ...i, evidence: i.evidence.filter((e) => e.id !== 'ev-1') }));
    const partial = await resolveShare(f.deps, token, client());
    expect(partial.ok && partial.evidence.map((e) => e.id)).toEqual(['ev-3']);
    const media = await openShareMedia(f.deps, token, 'ev-1', 'inline', client(), () => undefined);
    expect(media.ok).toBe(false);
    await f.incidents.delete('t1', 'inc-1');
    expect(await resolveShare(f.deps, token, client())).toEqual({ ok: false, status: 404 });
    await flushShareDenials(f.deps, true); // the second denial in the window is written as the window's summary
    expect(f.audit.at(-1)).toMatchObject({ action: 'share.denied', reason: 'evidence-deleted' });
  });

  it('rate-limits invalid attempts per client, before any lookup (valid links included), and refills over time', async () => {
    const f = fakeDeps();
    const { token } = await activeShare(f);
    const attacker = client('192.0.2.66');
    for (let i = 0; i < 20; i++) expect(await resolveShare(f.deps, newShareToken(), attacker)).toEqual({ ok: false, status: 404 });
    const limited = await resolveShare(f.deps, token, attacker);
    expect(limited).toMatchObject({ ok: false, status: 429 });
    expect(limited.ok === false && limited.status === 429 && limited.retryAfterSeconds).toBeGreaterThan(0);
    // Other clients are unaffected.
    expect((await resolveShare(f.deps, token, client('192.0.2.1'))).ok).toBe(true);
    // 2 attempts a minute come back.
    f.clock.advance(30_000);
    expect((await resolveShare(f.deps, token, attacker)).ok).toBe(true);
    // Valid requests never take from the bucket.
    for (let i = 0; i < 50; i++) expect((await resolveShare(f.deps, token, client('192.0.2.2'))).ok).toBe(true);
  });
});

describe('media through a share', () => {
  it('streams the requested range of published evidence; one audit event per share+evidence+session within the window', async () => {
    const f = fakeDeps();
    const { token, view } = await activeShare(f);
    const before = f.audit.length;
    for (let i = 0; i < 5; i++) {
      const r = await openShareMedia(f.deps, token, 'ev-1', 'inline', client(), (size) => ({ offset: size - 1000, count: 1000 }));
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      expect(r.media.range).toEqual({ offset: 199_000, count: 1000 });
      expect((await readAll(r.media.stream)).equals(PLAINTEXT.get('t1/inc-1/ev-1/redacted.a1')!.subarray(199_000))).toBe(true);
    }
    const mediaEvents = f.audit.slice(before).filter((a) => a.action === 'share.media');
    expect(mediaEvents).toEqual([expect.objectContaining({ outcome: 'allowed', target: { incidentId: 'inc-1', shareId: view.id, evidenceId: 'ev-1' } })]);
    f.clock.advance(5 * 60_000);
    await openShareMedia(f.deps, token, 'ev-1', 'inline', client(), () => undefined);
    await openShareMedia(f.deps, token, 'ev-1', 'inline', client('198.51.100.99'), () => undefined);
    expect(f.audit.slice(before).filter((a) => a.action === 'share.media')).toHaveLength(3);
    expect((await listShares(f.deps, investigator, 'inc-1')).shares[0]!.access.media).toBe(3);
  });

  it('download only in view+download mode; evidence outside the share is refused and audited', async () => {
    const f = fakeDeps();
    const viewOnly = await activeShare(f, { evidenceIds: ['ev-1'] });
    expect((await openShareMedia(f.deps, viewOnly.token, 'ev-1', 'download', client(), () => undefined)).ok).toBe(false);
    await flushShareDenials(f.deps, true);
    expect(f.audit.at(-1)).toMatchObject({ action: 'share.denied', reason: 'download-not-allowed' });
    expect((await openShareMedia(f.deps, viewOnly.token, 'ev-3', 'inline', client(), () => undefined)).ok).toBe(false);
    await flushShareDenials(f.deps, true);
    expect(f.audit.at(-1)).toMatchObject({ action: 'share.denied', reason: 'evidence-not-shared' });
    const withDownload = await activeShare(f, { accessMode: 'view-download' });
    const dl = await openShareMedia(f.deps, withDownload.token, 'ev-1', 'download', client(), () => undefined);
    expect(dl.ok).toBe(true);
    expect(f.audit.at(-1)).toMatchObject({ action: 'share.media', reason: 'download' });
  });

  it('a share revoked while a stream is running stops the stream', async () => {
    const f = fakeDeps();
    const { token, view, orch } = await activeShare(f);
    const r = await openShareMedia(f.deps, token, 'ev-1', 'inline', client(), () => undefined);
    if (!r.ok) throw new Error('expected media');
    const it = r.media.stream[Symbol.asyncIterator]();
    expect((await it.next()).done).toBe(false);
    await revokeShare(f.deps, orch, investigator, view.id);
    f.clock.advance(2_000);
    await expect(
      (async () => {
        for (let x = await it.next(); !x.done; x = await it.next());
      })(),
    ).rejects.toThrow(/share ended/);
  });

  it('a share expiring while a stream is running stops the stream', async () => {
    const f = fakeDeps();
    const { token, view } = await activeShare(f, { expiresInHours: 1 });
    f.clock.set(new Date(Date.parse(view.expiresAt) - 10));
    const r = await openShareMedia(f.deps, token, 'ev-1', 'inline', client(), () => undefined);
    if (!r.ok) throw new Error('expected media');
    f.clock.set(view.expiresAt);
    await expect(readAll(r.media.stream)).rejects.toThrow(/share ended/);
  });
});

describe('lifecycle activities', () => {
  it('expireShare marks an active share expired once, audited as share.expire', async () => {
    const f = fakeDeps();
    const { ref } = await activeShare(f);
    expect(await expireShare(f.deps, ref)).toEqual({ expired: true });
    expect(await expireShare(f.deps, ref)).toEqual({ expired: false });
    expect(f.audit.filter((a) => a.action === 'share.expire')).toEqual([expect.objectContaining({ outcome: 'succeeded', actor: { type: 'system', id: 'share-lifecycle' } })]);
    expect((await f.shares.get('t1', ref.shareId))!.doc.status).toBe('expired');
  });

  it('failShare leaves a never-usable share failed, audited', async () => {
    const f = fakeDeps();
    await seedIncident(f);
    const view = await createShare(f.deps, new FakeOrchestrations(), investigator, 'inc-1', shareBody());
    expect(await failShare(f.deps, { tenantId: 't1', incidentId: 'inc-1', shareId: view.id })).toEqual({ failed: true });
    expect(f.audit.at(-1)).toMatchObject({ action: 'share.create', outcome: 'failed', reason: 'notification-failed' });
    expect((await listShares(f.deps, investigator, 'inc-1')).shares[0]!.status).toBe('failed');
  });

  it('listShares is tenant-scoped and role-checked', async () => {
    const f = fakeDeps();
    await activeShare(f);
    expect((await listShares(f.deps, investigator, 'inc-1')).shares).toHaveLength(1);
    expect((await problemOf(listShares(f.deps, otherTenant, 'inc-1'))).status).toBe(404);
    await expect(listShares(f.deps, uploader, 'inc-1')).rejects.toBeInstanceOf(AuthError);
    // Reading the share list is an access like any other: allowed and denied reads are audited.
    expect(f.audit.filter((a) => a.action === 'share.list').map((a) => [a.tenantId, a.outcome])).toEqual([
      [investigator.tenantId, 'allowed'],
      [otherTenant.tenantId, 'denied'],
    ]);
  });
});
