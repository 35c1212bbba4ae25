/**
 * The police share page served over loopback HTTP by the real route table, against a real Azurite
 * and Cosmos DB emulator: used by the share timing/rate-limit integration tests and by
 * bench/share-timing.ts. The clock is real time plus an offset the caller moves (to expire a share
 * without waiting); orchestration timers never fire on their own, so an expired share stays
 * `active` in its record until `expire()` runs the expiry activity (both states are tested).
 */
import { randomBytes } from 'node:crypto';
import http from 'node:http';
import { mkdtemp } from 'node:fs/promises';
import type { Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadConfig } from '../../shared/config/config.js';
import { createApp, type App } from '../../shared/composition.js';
import { CONTAINERS } from '../../shared/domain/incident.js';
import { encryptBuffer } from '../../shared/crypto/segmented-aead.js';
import { dataKeyRefFor } from '../../shared/crypto/key-wrapper.js';
import { readOutboxLink } from '../../shared/adapters/notify/outbox.js';
import { silentLogger } from '../../shared/adapters/console-logger.js';
import { updateIncident } from '../../shared/usecases/update-incident.js';
import { expireShare } from '../../shared/usecases/shares.js';
import type { LocalServices } from '../../local/services.js';
import { localSettings } from '../../local/stack.js';
import { createLocalHttpServer } from '../../local/http-server.js';
import { LocalOrchestrationRuntime } from '../../local/orchestration-runtime.js';
import { activities, orchestrators } from '../../functions/registry.js';
import { mountedRoutes } from '../../functions/http/routes.js';
import type { Role } from '../../shared/auth/tokens.js';
import type { Logger } from '../../shared/ports/index.js';
import { ShiftedClock } from '../clock.js';

export type ShareServices = Pick<LocalServices, 'storageConnectionString' | 'blobEndpoint' | 'cosmosEndpoint'>;


export interface ShareHttp {
  app: App;
  url: string;
  clock: ShiftedClock;
  runtime: LocalOrchestrationRuntime;
  tenantId: string;
  api(method: string, path: string, body?: unknown): Promise<{ status: number; body: any }>;
  /** An incident with one published (sealed fixture) video; returns ids. */
  publishedIncident(): Promise<{ incidentId: string; evidenceId: string }>;
  /** Creates a share through the API, lets the lifecycle send the link, returns the link's path. */
  share(incidentId: string, evidenceIds: string[], extra?: Record<string, unknown>): Promise<{ shareId: string; path: string; expiresAt: string }>;
  /** Runs the expiry activity (what the durable timer triggers). */
  expire(incidentId: string, shareId: string): Promise<void>;
  stop(): Promise<void>;
}

export async function startShareHttp(services: ShareServices, database: string, options: { logger?: Logger; settings?: Record<string, string> } = {}): Promise<ShareHttp> {
  const tenantId = 'tenant-timing';
  const dataDir = await mkdtemp(join(tmpdir(), 'bystander-share-http-'));
  const clock = new ShiftedClock();
  const logger = options.logger ?? silentLogger;
  const config = loadConfig(localSettings({ ...services, pids: [], stop: async () => undefined }, dataDir, { COSMOS_DATABASE: database, ...options.settings }));
  let base = '';
  const app = await createApp(config, { clock, logger, publicBaseUrl: () => base });
  const runtime = new LocalOrchestrationRuntime(orchestrators, activities(async () => app), clock, logger, { schedule: () => () => undefined }, 0);
  const server: Server = createLocalHttpServer(mountedRoutes, { app, orchestrations: () => runtime });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = (base = `http://127.0.0.1:${(server.address() as { port: number }).port}`);
  const bearer = (roles: Role[]) => app.devTokens!.sign({ tenantId, subject: 'inv-timing', roles }, 3600 * 24 * 30);

  const api: ShareHttp['api'] = async (method, path, body) => {
    const res = await fetch(`${url}/api/${path}`, {
      method,
      headers: { authorization: `Bearer ${await bearer(['uploader', 'investigator', 'admin'])}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
      ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
    });
    const text = await res.text();
    return { status: res.status, body: text ? JSON.parse(text) : undefined };
  };

  const settle = async () => {
    for (let i = 0; i < 20; i++) {
      await runtime.idle();
      await new Promise((r) => setTimeout(r, 5));
    }
  };

  return {
    app,
    url,
    clock,
    runtime,
    tenantId,
    api,
    async publishedIncident() {
      const video = randomBytes(200_000);
      const created = await api('POST', 'incidents', {
        storeId: 'store-7',
        occurredAt: new Date(clock.now().getTime() - 23 * 3600_000).toISOString(), // yesterday on the fixture's clock
        category: 'theft',
        description: 'Items concealed near the exit',
        evidence: [{ fileName: 'aisle.mp4', contentType: 'video/mp4', sizeBytes: video.length }],
      });
      if (created.status !== 201) throw new Error(`incident not created: ${created.status}`);
      const incidentId: string = created.body.incident.id;
      const evidenceId: string = created.body.uploads[0].evidenceId;
      const wrapped = (await app.deps.incidents.get(tenantId, incidentId))!.doc.dataKey!;
      const key = await app.deps.dataKeys.open({ tenantId, incidentId }, wrapped);
      const blobName = `${tenantId}/${incidentId}/${evidenceId}/redacted.a1`;
      const sealed = encryptBuffer(video, { key, keyRef: dataKeyRefFor({ tenantId, incidentId }) });
      await app.deps.blobs.upload(CONTAINERS.evidence, blobName, sealed, { contentType: 'application/octet-stream' });
      await updateIncident(app.deps, tenantId, incidentId, (i) => {
        const e = i.evidence.find((x) => x.id === evidenceId)!;
        e.status = 'published';
        e.redacted = { blobName, sha256: 'b'.repeat(64), sizeBytes: video.length, storedBytes: sealed.length, contentType: 'video/mp4', reportBlobName: 'r' };
        e.publishedAt = clock.now().toISOString();
        return i;
      });
      return { incidentId, evidenceId };
    },
    async share(incidentId, evidenceIds, extra = {}) {
      const res = await api('POST', `incidents/${incidentId}/shares`, {
        recipient: { agency: 'City Police', officerEmail: 'officer@police.example' },
        purpose: 'investigation',
        evidenceIds,
        accessMode: 'view',
        ...extra,
      });
      if (res.status !== 201) throw new Error(`share not created: ${res.status}`);
      await settle();
      const link = await readOutboxLink(join(dataDir, 'outbox'), res.body.id, tenantId);
      if (!link) throw new Error('no link in the outbox');
      return { shareId: res.body.id, path: new URL(link).pathname, expiresAt: res.body.expiresAt };
    },
    async expire(incidentId, shareId) {
      await expireShare(app.deps, { tenantId, incidentId, shareId });
    },
    async stop() {
      runtime.stop();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** One GET over a fresh loopback connection from `localAddress` (any 127.x.y.z); resolves with status and latency. */
export function timedGet(url: string, localAddress: string, headers: Record<string, string> = {}): Promise<{ status: number; ms: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const req = http.get(url, { localAddress, agent: false, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, ms: Number(process.hrtime.bigint() - start) / 1e6, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('error', reject);
  });
}

/** The n-th distinct loopback client address (127.1.0.1 …), for per-client rate limits. */
export const loopbackClient = (n: number) => `127.${1 + Math.floor(n / 65_024)}.${Math.floor(n / 254) % 256}.${(n % 254) + 1}`;

export const median = (xs: number[]) => quantile(xs, 0.5);

export function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return Number.NaN;
  const pos = (s.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.ceil(pos);
  return s[lo]! + (s[hi]! - s[lo]!) * (pos - lo);
}

/**
 * Probability that a latency drawn from `a` is below one drawn from `b` (ties count half): 0.5 when
 * the distributions are the same, 1.0 when every `a` is faster than every `b` (the Mann-Whitney
 * U statistic over |a|·|b|).
 */
export function probabilityFaster(a: number[], b: number[]): number {
  let wins = 0;
  for (const x of a) for (const y of b) wins += x < y ? 1 : x === y ? 0.5 : 0;
  return wins / (a.length * b.length);
}
