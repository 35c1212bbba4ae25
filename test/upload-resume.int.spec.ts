import { spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { inject } from 'vitest';
import { CONTAINERS, blobNames } from '../shared/domain/incident.js';
import type { Stack } from '../local/stack.js';
import { ShiftedClock, client, incidentBody, testStack } from './helpers.js';

/**
 * Resumable uploads against Azurite. All of the stack's blob traffic — and so every upload URL it
 * issues — goes through a loopback TCP proxy that the test can cut: one connection dropped after a
 * number of bytes (the CLI recovers by itself), and later everything dropped while the CLI process
 * is killed (a second run resumes). Real Azurite, real Cosmos emulator, the real CLI process.
 */

const root = fileURLToPath(new URL('..', import.meta.url));
const MiB = 1024 * 1024;

/** Loopback TCP proxy in front of Azurite's blob port, counting the bytes clients send through it. */
class CuttingProxy {
  sent = 0;
  /** Cut the first connection that has sent more than this many bytes (once). */
  cutConnectionAfter: number | undefined;
  cuts = 0;
  /** Called for each `201 Created` storage answers (a block staged, a blob committed). */
  onCreated: (() => void) | undefined;
  /** Called on the first connection that sends a body larger than 64 KiB (a block). */
  onFirstBlock: (() => void) | undefined;
  down = false;
  private readonly sockets = new Set<net.Socket>();
  private server!: net.Server;
  port = 0;

  constructor(private readonly target: number) {}

  async start() {
    this.server = net.createServer((client) => {
      if (this.down) return client.destroy();
      const upstream = net.connect(this.target, '127.0.0.1');
      this.sockets.add(client).add(upstream);
      let mine = 0;
      const close = () => {
        client.destroy();
        upstream.destroy();
        this.sockets.delete(client);
        this.sockets.delete(upstream);
      };
      client.on('data', (chunk: Buffer) => {
        if (this.down) return close();
        mine += chunk.length;
        this.sent += chunk.length;
        if (mine > 64 * 1024 && this.onFirstBlock) {
          const f = this.onFirstBlock;
          this.onFirstBlock = undefined;
          f();
        }
        if (this.cutConnectionAfter !== undefined && mine > this.cutConnectionAfter) {
          this.cutConnectionAfter = undefined;
          this.cuts++;
          return close();
        }
        upstream.write(chunk);
      });
      upstream.on('data', (chunk: Buffer) => {
        if (this.down) return close();
        for (let n = chunk.toString('latin1').split('HTTP/1.1 201 ').length - 1; n > 0; n--) this.onCreated?.();
        if (this.down) return close();
        client.write(chunk);
      });
      client.on('error', close).on('close', close);
      upstream.on('error', close).on('close', close);
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.port = (this.server.address() as net.AddressInfo).port;
  }

  /** Drops every open connection and refuses new ones until `up()`. */
  cutAll() {
    this.down = true;
    for (const s of this.sockets) s.destroy();
    this.sockets.clear();
  }

  up() {
    this.down = false;
  }

  async stop() {
    this.cutAll();
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

function runCli(args: string[], token: string, onSpawn?: (kill: () => void, stderr: () => string) => void) {
  const child = spawn(process.execPath, [join(root, 'bin/bystander.mjs'), 'upload', ...args], {
    cwd: root,
    env: { ...process.env, BYSTANDER_TOKEN: token, BYSTANDER_API_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
    // Its own process group: the bin wrapper runs the CLI as a child, and a kill (like Ctrl+C at a
    // terminal) reaches the whole group.
    detached: true,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  onSpawn?.(() => process.kill(-child.pid!, 'SIGKILL'), () => stderr);
  return new Promise<{ code: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr })),
  );
}

/** A file the pipeline's sniffing accepts as MP4 (an ftyp box), then random bytes. */
function mp4Like(size: number): Buffer {
  const b = randomBytes(size);
  b.writeUInt32BE(32, 0);
  b.write('ftypisom', 4, 'latin1');
  b.writeUInt32BE(0x200, 12);
  b.write('isomiso2avc1mp41', 16, 'latin1');
  return b;
}

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

let stack: Stack;
let proxy: CuttingProxy;
let dir: string;
const clock = new ShiftedClock();

beforeAll(async () => {
  const services = inject('services');
  const azuritePort = Number(new URL(services.blobEndpoint).port);
  proxy = new CuttingProxy(azuritePort);
  await proxy.start();
  const viaProxy = services.storageConnectionString.replace(`127.0.0.1:${azuritePort}/`, `127.0.0.1:${proxy.port}/`);
  expect(viaProxy).not.toBe(services.storageConnectionString);
  stack = await testStack('upload-resume', { worker: false, clock, settings: { STORAGE_CONNECTION_STRING: viaProxy, UPLOAD_URL_MAX_RENEWALS: '6' } });
  dir = await mkdtemp(join(tmpdir(), 'bystander-upload-'));
}, 60_000);
afterAll(async () => {
  await stack?.stop();
  await proxy?.stop();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('npx bystander upload: resumable block upload into an evidence slot', () => {
  it('survives a dropped connection and an expired URL, resumes after being killed, and the committed blob is the file', async () => {
    const token = await stack.devToken(['uploader']);
    const api = client(stack, await stack.devToken(['uploader', 'investigator']));
    const file = mp4Like(38 * MiB + 12345); // 10 blocks of 4 MiB (the last one 2 MiB and a bit)
    const BLOCKS = 10;
    const path = join(dir, 'export.mp4');
    await writeFile(path, file);
    const created = await api.createIncident(incidentBody([{ fileName: 'export.mp4', contentType: 'video/mp4', sizeBytes: file.length, sha256: sha256(file) }]));
    expect(created.status).toBe(201);
    const incidentId = created.body.incident.id as string;
    const evidenceId = created.body.uploads[0].evidenceId as string;
    const args = [incidentId, evidenceId, path, '--api', stack.url];

    // Run 1: the service's clock is 16 minutes behind, so the first URL it issues has already expired
    // (Azurite checks the real time); the clock is right again once the first block reaches storage.
    clock.advance(-16 * 60_000);
    proxy.onFirstBlock = () => clock.reset();
    // Once a block is stored with the renewed URL, the next connection past 2 MiB is cut mid-block
    // (the CLI recovers by itself); when a block is stored after that recovery, storage becomes
    // unreachable and the CLI process is killed.
    let killed = false;
    const run1 = await runCli(args, token, (kill, stderr) => {
      proxy.onCreated = () => {
        if (proxy.cutConnectionAfter === undefined && proxy.cuts === 0) proxy.cutConnectionAfter = 2 * MiB;
        else if (proxy.cuts === 1 && (stderr().match(/asking the service where to resume/g)?.length ?? 0) >= 2 && !killed) {
          killed = true;
          proxy.cutAll();
          kill();
        }
      };
    }).finally(() => proxy.up());
    expect(killed, run1.stderr).toBe(true);
    expect(run1.signal).toBe('SIGKILL');
    proxy.onCreated = undefined;
    expect(proxy.cuts, run1.stderr).toBe(1);
    // It said what happened: storage refused the expired URL (renewed), and a connection was lost.
    // (Azurite answers 403 to the expired URL and closes the connection while the block is still being sent.)
    expect(run1.stderr).toMatch(/block \d+: (403 Authori[sz]ationFailure|403 AuthenticationFailed|connection lost \(.+\)); asking the service where to resume/);
    expect(run1.stderr).toMatch(/renewed the upload URL \(\d+ renewals left\)/);
    expect(run1.stderr.match(/asking the service where to resume/g)?.length).toBeGreaterThanOrEqual(2);

    // Between runs: the service holds some blocks, not committed.
    const state: any = await fetch(`${stack.url}/api/incidents/${incidentId}/evidence/${evidenceId}/upload`, { headers: { authorization: `Bearer ${token}` } }).then((r) => r.json());
    expect(state.status).toBe('awaiting-upload');
    expect(state.staged.committed).toBe(false);
    expect(state.staged.blocks.length).toBeGreaterThanOrEqual(1);
    expect(state.renewalsLeft).toBeLessThanOrEqual(4); // the first URL, and one after the expired one

    // Run 2 resumes: it sends only the blocks the service does not hold.
    const before = proxy.sent;
    const run2 = await runCli(args, token);
    expect(run2.code, run2.stderr).toBe(0);
    const out = JSON.parse(run2.stdout.trim().split('\n').at(-1)!);
    expect(out.sha256).toBe(sha256(file));
    // (At least what the service held right after the kill: a block already sent may land a moment later.)
    expect(out.resumedBlocks).toBeGreaterThanOrEqual(Math.max(1, state.staged.blocks.length));
    expect(out.resumedBlocks).toBeLessThan(BLOCKS);
    // Only the missing blocks went out: 4 MiB each, the last one 2 MiB and a bit.
    const lastBlock = file.length - (BLOCKS - 1) * 4 * MiB;
    expect([(BLOCKS - out.resumedBlocks) * 4 * MiB, (BLOCKS - out.resumedBlocks - 1) * 4 * MiB + lastBlock]).toContain(out.sentBytes);
    expect(proxy.sent - before).toBeLessThan(file.length);
    expect(run2.stderr).toMatch(new RegExp(`resuming: ${out.resumedBlocks} of ${BLOCKS} blocks`));
    expect(run2.stderr).toMatch(/100%\s+uploading 38\.0\/38\.0 MiB/); // not a terminal: plain progress lines

    // The committed blob is byte for byte the file, and the pipeline takes it (size and SHA-256 checked).
    const { stream } = await stack.app.deps.blobs.download(CONTAINERS.ingest, blobNames.ingest('dev-tenant', incidentId, evidenceId));
    const hash = createHash('sha256');
    for await (const c of stream) hash.update(c as Buffer);
    expect(hash.digest('hex')).toBe(sha256(file));
    const evidence = await api.waitFor(incidentId, evidenceId, ['processing']);
    expect(evidence.original).toEqual({ sha256: sha256(file), sizeBytes: file.length });

    // The slot is closed now: no more URLs.
    const closed = await fetch(`${stack.url}/api/incidents/${incidentId}/evidence/${evidenceId}/upload-url`, { method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
    expect(closed.status).toBe(409);
  }, 180_000);

  it('a file whose size or SHA-256 differs from the declaration is refused before anything is sent', async () => {
    const token = await stack.devToken(['uploader']);
    const api = client(stack, token);
    const file = mp4Like(MiB);
    const path = join(dir, 'other.mp4');
    await writeFile(path, file);
    const wrongSize = await api.createIncident(incidentBody([{ fileName: 'a.mp4', contentType: 'video/mp4', sizeBytes: file.length + 1 }]));
    const wrongHash = await api.createIncident(incidentBody([{ fileName: 'b.mp4', contentType: 'video/mp4', sizeBytes: file.length, sha256: 'a'.repeat(64) }]));
    const before = proxy.sent;
    const r1 = await runCli([wrongSize.body.incident.id, wrongSize.body.uploads[0].evidenceId, path, '--api', stack.url], token);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/declared as \d+ bytes; nothing was sent/);
    const r2 = await runCli([wrongHash.body.incident.id, wrongHash.body.uploads[0].evidenceId, path, '--api', stack.url], token);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toMatch(/SHA-256 .* differs from the declared one; nothing was sent/);
    expect(proxy.sent - before).toBeLessThan(64 * 1024); // the stack's own polling only
  }, 60_000);
});

describe('POST /api/incidents/{id}/evidence/{evidenceId}/upload-url', () => {
  const renew = (token: string, incidentId: string, evidenceId: string, body: unknown = {}) =>
    fetch(`${stack.url}/api/incidents/${incidentId}/evidence/${evidenceId}/upload-url`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('renews a create-only URL at most UPLOAD_URL_MAX_RENEWALS times, each audited; unknown fields, other tenants and missing roles are refused', async () => {
    const token = await stack.devToken(['uploader']);
    const api = client(stack, token);
    const created = await api.createIncident(incidentBody([{ fileName: 'c.mp4', contentType: 'video/mp4', sizeBytes: 10 }]));
    const incidentId = created.body.incident.id as string;
    const evidenceId = created.body.uploads[0].evidenceId as string;

    const unknown = await renew(token, incidentId, evidenceId, { ttlMinutes: 600 });
    expect(unknown.status).toBe(400);
    expect(((await unknown.json()) as any).unknownFields).toEqual(['ttlMinutes']);
    expect((await renew(await stack.devToken(['uploader'], 'other-tenant'), incidentId, evidenceId)).status).toBe(404);
    expect((await renew(await stack.devToken([]), incidentId, evidenceId)).status).toBe(403);

    const urls = new Set<string>();
    for (let i = 1; i <= 6; i++) {
      const res = await renew(token, incidentId, evidenceId);
      expect(res.status).toBe(200);
      const body: any = await res.json();
      expect(body.renewalsLeft).toBe(6 - i);
      expect(new URL(body.url).pathname).toContain(`/ingest/dev-tenant/${incidentId}/${evidenceId}`);
      expect(new URL(body.url).searchParams.get('sp')).not.toMatch(/[rdl]/); // never read, delete or list
      urls.add(body.url);
    }
    const refused = await renew(token, incidentId, evidenceId);
    expect(refused.status).toBe(409);
    expect(((await refused.json()) as any).detail).toMatch(/all 6 URL renewals/);

    const { cosmosClient } = await import('../shared/adapters/azure/cosmos-store.js');
    const { COSMOS_EMULATOR_KEY } = await import('../local/services.js');
    const audit = cosmosClient({ endpoint: stack.config.COSMOS__accountEndpoint, key: COSMOS_EMULATOR_KEY }).database(stack.config.COSMOS_DATABASE).container('audit');
    const { resources } = await audit.items.query<{ seq: number; action: string; outcome: string; reason?: string; target: { evidenceId?: string } }>({
      query: "SELECT * FROM c WHERE c.tenantId = 'dev-tenant' AND c.action = 'evidence.upload-slot'",
    }).fetchAll();
    const events = resources.filter((e) => e.target.evidenceId === evidenceId && e.reason !== 'state').sort((a, b) => a.seq - b.seq);
    expect(events.map((e) => `${e.outcome}:${e.reason ?? ''}`)).toEqual([
      ...[1, 2, 3, 4, 5, 6].map((n) => `succeeded:renewal-${n}`),
      'denied:renewals-exhausted',
    ]);
  });
});
