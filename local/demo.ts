/**
 * `npm run demo`: one incident end to end against a running `npm start` (or a stack of its own):
 * create ▸ upload through the issued URL ▸ wait for publication ▸ download the redacted file.
 * Last line: one JSON object {incidentId, evidenceId, status, redactedPath, ...}.
 */
import { createHash } from 'node:crypto';
import { mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { ensureDemoClip } from '../test/fixtures/media/generate.js';
import { readOutboxLink } from '../shared/adapters/notify/outbox.js';
import { startStack, type Stack } from './stack.js';

const dataDir = resolve(process.env.BYSTANDER_DATA_DIR ?? '.bystander');
/** `--share officer@example.test`: also share the evidence with that officer and print the link. */
const shareWith = ((i) => (i >= 0 ? process.argv[i + 1] : undefined))(process.argv.indexOf('--share'));
const started = Date.now();
const log = (m: string) => process.stderr.write(`${m}\n`);

function fail(message: string): never {
  log(`demo failed: ${message}`);
  process.exit(1);
}

async function runningStack(): Promise<{ url: string; token: string } | undefined> {
  try {
    const tokens = JSON.parse(await readFile(join(dataDir, 'dev-tokens.json'), 'utf8')) as { url: string; admin: string };
    const res = await fetch(`${tokens.url}/api/health`, { signal: AbortSignal.timeout(2000) });
    if (res.ok) return { url: tokens.url, token: tokens.admin };
  } catch {
    // not running
  }
  return undefined;
}

let own: Stack | undefined;
let target = await runningStack();
if (target) log(`Using the running stack at ${target.url}`);
else {
  log('No running stack found; starting one for this demo…');
  own = await startStack({ dataDir, port: 0 });
  target = { url: own.url, token: await own.devToken() };
}
const { url, token } = target;
const auth = { authorization: `Bearer ${token}` };

try {
  log('Preparing the sample clip (generated from photos that ship in npm packages)…');
  const clip = await ensureDemoClip(join(dataDir, 'samples'));
  const bytes = await readFile(clip.path);
  const sha256 = createHash('sha256').update(bytes).digest('hex');

  const created = await fetch(`${url}/api/incidents`, {
    method: 'POST',
    headers: { ...auth, 'content-type': 'application/json' },
    body: JSON.stringify({
      storeId: 'demo-store-001',
      occurredAt: new Date(Date.now() - 3600_000).toISOString(),
      category: 'theft',
      description: 'Demo: items concealed in a bag near the exit',
      evidence: [{ fileName: 'aisle-camera.mp4', contentType: 'video/mp4', sizeBytes: bytes.length, sha256 }],
    }),
  });
  if (created.status !== 201) fail(`creating the incident returned ${created.status}: ${await created.text()}`);
  const { incident, uploads } = (await created.json()) as { incident: { id: string }; uploads: { evidenceId: string; url: string; headers: Record<string, string> }[] };
  const slot = uploads[0]!;
  log(`Incident ${incident.id}: uploading ${bytes.length} bytes…`);
  const put = await fetch(slot.url, { method: 'PUT', headers: slot.headers, body: bytes });
  if (!put.ok) fail(`upload returned ${put.status}: ${await put.text()}`);

  log('Waiting for redaction (CPU worker)…');
  let evidence: { id: string; status: string; quarantine?: { reason: string }; redacted?: { sha256: string } } | undefined;
  const deadline = Date.now() + 10 * 60_000;
  let last = '';
  while (Date.now() < deadline) {
    const res = await fetch(`${url}/api/incidents/${incident.id}`, { headers: auth });
    if (!res.ok) fail(`reading the incident returned ${res.status}`);
    evidence = ((await res.json()) as { evidence: NonNullable<typeof evidence>[] }).evidence.find((e) => e.id === slot.evidenceId);
    if (evidence && evidence.status !== last) log(`  status: ${(last = evidence.status)}`);
    if (evidence?.status === 'published' || evidence?.status === 'quarantined' || evidence?.status === 'rejected') break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  if (evidence?.status !== 'published') fail(`evidence ended ${evidence?.status ?? 'unknown'}${evidence?.quarantine ? `: ${evidence.quarantine.reason}` : ''}`);

  const media = await fetch(`${url}/api/incidents/${incident.id}/evidence/${slot.evidenceId}/content`, { headers: auth });
  if (!media.ok) fail(`downloading the redacted file returned ${media.status}`);
  const outDir = join(dataDir, 'demo');
  await mkdir(outDir, { recursive: true });
  const redactedPath = join(outDir, `${slot.evidenceId}.redacted.mp4`);
  await writeFile(redactedPath, Buffer.from(await media.arrayBuffer()));
  const size = (await stat(redactedPath)).size;

  let shareUrl: string | undefined;
  let shareId: string | undefined;
  if (shareWith !== undefined) {
    if (!shareWith || shareWith.startsWith('--')) fail('--share needs the officer e-mail address, e.g. --share officer@example.test');
    log(`Sharing with ${shareWith}…`);
    const shared = await fetch(`${url}/api/incidents/${incident.id}/shares`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify({
        recipient: { agency: 'Demo Police Service', officerEmail: shareWith },
        purpose: 'investigation',
        evidenceIds: [slot.evidenceId],
        accessMode: 'view-download',
      }),
    });
    if (shared.status !== 201) fail(`creating the share returned ${shared.status}: ${await shared.text()}`);
    shareId = ((await shared.json()) as { id: string }).id;
    const shareDeadline = Date.now() + 60_000;
    while (!shareUrl && Date.now() < shareDeadline) {
      shareUrl = await readOutboxLink(join(dataDir, 'outbox'), shareId);
      if (!shareUrl) await new Promise((r) => setTimeout(r, 250));
    }
    if (!shareUrl) fail(`no notification for share ${shareId} appeared in ${join(dataDir, 'outbox')}`);
    log(`Share link (from the local outbox): ${shareUrl}`);
    if (own) log('  (this demo started its own stack, which stops now: run `npm start` first to open the link in a browser)');
  }
  console.log(
    JSON.stringify({
      incidentId: incident.id,
      evidenceId: slot.evidenceId,
      status: 'published',
      redactedPath,
      redactedBytes: size,
      redactedSha256: evidence.redacted?.sha256,
      ...(shareUrl ? { shareId, shareUrl } : {}),
      wallSeconds: Math.round((Date.now() - started) / 100) / 10,
    }),
  );
} finally {
  await own?.stop();
}
