/**
 * In-memory FAKES for the record-lifecycle unit tests (retention, holds, versions, privacy):
 * document stores that parse with the real schemas, blobs, a queue with visibility timeouts, a
 * toy key wrapper behind the REAL DataKeyService and sealed-incident store, the REAL hash-chained
 * audit log (so every event the lifecycle writes is schema-checked), and the REAL outbox notifier
 * in a temp folder. The orchestrations run in the local replay runtime with hand-driven timers.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createScreener } from '../../shared/domain/screening.js';
import { CONTAINERS, IncidentRecordSchema, blobNames, type EvidenceRecord, type IncidentRecord } from '../../shared/domain/incident.js';
import { IncidentVersionSchema, PrivacyRequestRecordSchema, type IncidentVersion, type PrivacyRequestRecord } from '../../shared/domain/lifecycle.js';
import { ShareLinkRecordSchema, ShareRecordSchema, hashShareToken, linkPartition, newShareToken, type ShareRecord } from '../../shared/domain/share.js';
import type { MessageQueue, QueueMessage } from '../../shared/ports/index.js';
import { DataKeyService, type KeyWrapper, type WrappedKey } from '../../shared/crypto/key-wrapper.js';
import { encryptBuffer } from '../../shared/crypto/segmented-aead.js';
import { sealedIncidentStore } from '../../shared/adapters/sealed-incident-store.js';
import { OutboxNotifier } from '../../shared/adapters/notify/outbox.js';
import { AuditLog, InMemoryAuditStore, type AuditEvent } from '../../shared/audit/index.js';
import { createChainedAuditSink } from '../../shared/adapters/azure/audit-sink.js';
import { silentLogger } from '../../shared/adapters/console-logger.js';
import { AccessCoalescer, DenialCoalescer, InvalidAttemptLimiter } from '../../shared/usecases/share-guards.js';
import { DEFAULT_RETENTION_POLICY } from '../../shared/retention/policy.js';
import type { Deps } from '../../shared/usecases/deps.js';
import type { Principal } from '../../shared/auth/tokens.js';
import { LocalOrchestrationRuntime, type TimerScheduler } from '../../local/orchestration-runtime.js';
import { orchestrators } from '../../functions/registry.js';
import { bindClientActivities, lifecycleActivityHandlers, lifecycleClientActivityHandlers } from '../../functions/activities/lifecycle-activities.js';
import { ManualClock, MemoryBlobs, MemoryDocumentStore, unitTestConfig } from '../shares/fakes.js';

export { ManualClock, MemoryDocumentStore };

export const DAY = 24 * 3600_000;

export class MemoryQueue implements MessageQueue {
  readonly queues = new Map<string, Array<QueueMessage & { visibleAt: number }>>();
  private n = 0;
  constructor(private readonly clock: { now(): Date }) {}
  private q(name: string) {
    let q = this.queues.get(name);
    if (!q) this.queues.set(name, (q = []));
    return q;
  }
  async send(queue: string, body: unknown, options: { visibilityTimeoutSeconds?: number } = {}) {
    this.q(queue).push({ id: `m${++this.n}`, popReceipt: 'p0', dequeueCount: 0, body: typeof body === 'string' ? body : JSON.stringify(body), visibleAt: this.clock.now().getTime() + (options.visibilityTimeoutSeconds ?? 0) * 1000 });
  }
  async receive(queue: string, options: { max: number; visibilityTimeoutSeconds: number }) {
    const now = this.clock.now().getTime();
    const out: QueueMessage[] = [];
    for (const m of this.q(queue)) {
      if (out.length >= options.max || m.visibleAt > now) continue;
      m.dequeueCount++;
      m.popReceipt = `p${++this.n}`;
      m.visibleAt = now + options.visibilityTimeoutSeconds * 1000;
      out.push({ id: m.id, popReceipt: m.popReceipt, dequeueCount: m.dequeueCount, body: m.body });
    }
    return out;
  }
  async extend(_queue: string, message: QueueMessage) {
    return message.popReceipt;
  }
  async delete(queue: string, message: Pick<QueueMessage, 'id' | 'popReceipt'>) {
    const q = this.q(queue);
    const i = q.findIndex((m) => m.id === message.id && m.popReceipt === message.popReceipt);
    if (i >= 0) q.splice(i, 1);
  }
}

/** A toy KEK (XOR), enough to exercise the real DataKeyService and the sealed record store. */
export class ToyKeyWrapper implements KeyWrapper {
  private readonly pad = randomBytes(32);
  async wrap(dataKey: Buffer): Promise<WrappedKey> {
    return { keyId: 'test:kek/v0001', algorithm: 'RSA-OAEP-256', wrapped: Buffer.from(dataKey.map((b, i) => b ^ this.pad[i]!)).toString('base64url') };
  }
  async unwrap(w: WrappedKey): Promise<Buffer> {
    return Buffer.from(Buffer.from(w.wrapped, 'base64url').map((b, i) => b ^ this.pad[i]!));
  }
  async currentKeyId() {
    return 'test:kek/v0001';
  }
}

export const T0 = new Date('2027-01-01T09:00:00.000Z');
export const admin: Principal = { tenantId: 't1', subject: 'user-admin', roles: ['admin'] };
export const retailer: Principal = { tenantId: 't1', subject: 'user-up', roles: ['uploader'] };
export const otherAdmin: Principal = { tenantId: 't2', subject: 'user-other', roles: ['admin'] };

export function lifecycleFakes(clock = new ManualClock(T0.getTime())) {
  const rawIncidents = new MemoryDocumentStore<IncidentRecord>(IncidentRecordSchema);
  const versions = new MemoryDocumentStore<IncidentVersion>(IncidentVersionSchema);
  const privacyRequests = new MemoryDocumentStore<PrivacyRequestRecord>(PrivacyRequestRecordSchema);
  const shares = new MemoryDocumentStore<ShareRecord>(ShareRecordSchema);
  const links = new MemoryDocumentStore(ShareLinkRecordSchema);
  const blobs = new MemoryBlobs();
  const queue = new MemoryQueue(clock);
  const dataKeys = new DataKeyService(new ToyKeyWrapper(), { clock, cacheTtlMs: 0 });
  const auditStore = new InMemoryAuditStore();
  const audit = createChainedAuditSink(new AuditLog(auditStore, { clock }), { id: 'origin-test', key: randomBytes(32) });
  const outboxDir = mkdtempSync(join(tmpdir(), 'bystander-lifecycle-outbox-'));
  let n = 0;
  const config = unitTestConfig();
  const deps: Deps = {
    config,
    blobs,
    queue,
    incidents: sealedIncidentStore(rawIncidents, dataKeys),
    dataKeys,
    audit,
    clock,
    logger: silentLogger,
    screener: createScreener(),
    newId: () => `id-${++n}`,
    sharing: {
      shares,
      links,
      notifier: new OutboxNotifier(outboxDir, silentLogger, () => clock.now()),
      publicBaseUrl: () => 'https://evidence.example.test',
      webhooks: false,
      limiter: new InvalidAttemptLimiter(clock),
      mediaAudit: new AccessCoalescer(clock),
      denials: new DenialCoalescer(clock),
    },
    lifecycle: {
      versions,
      privacyRequests,
      retentionPolicy: () => DEFAULT_RETENTION_POLICY,
      dueIndex: {
        async findDue(before, limit) {
          return [...rawIncidents.docs.values()]
            .map((v) => v.doc)
            .filter((d) => d.deleteAfter && d.deleteAfter <= before.toISOString())
            .slice(0, limit)
            .map((d) => ({ tenantId: d.tenantId, incidentId: d.id }));
        },
      },
    },
  };
  /** Audit events of a tenant, in chain order. */
  const events = async (tenantId = 't1'): Promise<AuditEvent[]> => (await auditStore.list(tenantId, 1, 100_000)).events;
  /** Every file under the outbox folder. */
  const outboxFiles = (): string[] => {
    const walk = (dir: string): string[] => readdirSync(dir).flatMap((f) => (statSync(join(dir, f)).isDirectory() ? walk(join(dir, f)) : [join(dir, f)]));
    return walk(outboxDir);
  };
  return { deps, clock, rawIncidents, versions, privacyRequests, shares, links, blobs, queue, auditStore, events, outboxDir, outboxFiles };
}
export type LifecycleFakes = ReturnType<typeof lifecycleFakes>;

/** Timers the test fires by moving the fake clock; records every timer's length. */
export function manualTimers(clock: ManualClock) {
  const pending: Array<{ at: Date; fn: () => void; cancelled: boolean }> = [];
  const lengths: number[] = [];
  const scheduler: TimerScheduler = {
    schedule(at, fn) {
      const t = { at, fn, cancelled: false };
      lengths.push(at.getTime() - clock.now().getTime());
      pending.push(t);
      return () => (t.cancelled = true);
    },
  };
  return {
    scheduler,
    lengths,
    next(): Date | undefined {
      const live = pending.filter((t) => !t.cancelled);
      return live.length ? new Date(Math.min(...live.map((t) => t.at.getTime()))) : undefined;
    },
    fireDue(now: Date): number {
      const due = pending.filter((t) => !t.cancelled && t.at.getTime() <= now.getTime());
      for (const t of due) pending.splice(pending.indexOf(t), 1);
      due.forEach((t) => t.fn());
      return due.length;
    },
  };
}

/** The real orchestrators and lifecycle activities in the local replay runtime, driven by the fake clock. */
export function lifecycleRuntime(f: LifecycleFakes) {
  const timers = manualTimers(f.clock);
  let rt: LocalOrchestrationRuntime | undefined;
  const deps = async () => f.deps;
  const activities = { ...lifecycleActivityHandlers(deps), ...bindClientActivities(lifecycleClientActivityHandlers(deps), () => rt!) };
  rt = new LocalOrchestrationRuntime(orchestrators, activities, f.clock, silentLogger, timers.scheduler, 0);
  const runtime = rt;
  /** Largest history each instance reached (continueAsNew keeps a schedule's small). */
  const maxHistory = new Map<string, number>();
  const observe = () => {
    for (const id of runtime.instanceIds()) maxHistory.set(id, Math.max(maxHistory.get(id) ?? 0, runtime.history(id).length));
  };
  return {
    rt: runtime,
    timers,
    maxHistory: (instanceId: string) => maxHistory.get(instanceId) ?? 0,
    async settle() {
      await runtime.quiesce();
      observe();
    },
    /** Moves the clock to `target`, firing every timer on the way (in order) and letting work settle. */
    async advanceTo(target: Date) {
      for (;;) {
        await runtime.quiesce();
        observe();
        const next = timers.next();
        if (!next || next.getTime() > target.getTime()) break;
        if (next.getTime() > f.clock.now().getTime()) f.clock.set(next);
        timers.fireDue(f.clock.now());
      }
      f.clock.set(target);
      await runtime.quiesce();
      observe();
    },
  };
}

/** Seeds an incident's derived data: sealed media + report + leftover original, a share with link and outbox entry. */
export async function seedDerivedData(f: LifecycleFakes, incident: IncidentRecord): Promise<{ shareId: string; evidence: EvidenceRecord }> {
  const ev = incident.evidence[0]!;
  const key = await f.deps.dataKeys.open({ tenantId: incident.tenantId, incidentId: incident.id }, incident.dataKey!);
  const plain = Buffer.alloc(40_000, 7);
  const blobName = `${blobNames.redacted(incident.tenantId, incident.id, ev.id)}.a1`;
  const sealed = encryptBuffer(plain, { key, keyRef: `dk1:${incident.id}`, segmentSize: 16 * 1024 });
  f.blobs.put(CONTAINERS.evidence, blobName, sealed);
  f.blobs.put(CONTAINERS.reports, `${blobNames.report(incident.tenantId, incident.id, ev.id)}.a1`, Buffer.from('{"report":1}'));
  f.blobs.put(CONTAINERS.quarantine, blobNames.ingest(incident.tenantId, incident.id, ev.id), Buffer.from('leftover original'));
  const { createHash } = await import('node:crypto');
  const published: EvidenceRecord = {
    ...ev,
    status: 'published',
    original: { sha256: 'b'.repeat(64), sizeBytes: 10, receivedAt: f.clock.now().toISOString() },
    redacted: { blobName, sha256: createHash('sha256').update(plain).digest('hex'), sizeBytes: plain.length, storedBytes: sealed.length, contentType: 'video/mp4', reportBlobName: `${blobNames.report(incident.tenantId, incident.id, ev.id)}.a1` },
    publishedAt: f.clock.now().toISOString(),
  };
  const { updateIncident } = await import('../../shared/usecases/update-incident.js');
  await updateIncident(f.deps, incident.tenantId, incident.id, (i) => ({ ...i, evidence: [published, ...i.evidence.slice(1)] }));
  const token = newShareToken();
  const tokenHash = hashShareToken(token);
  const shareId = `share-of-${incident.id}`.slice(0, 64);
  const now = f.clock.now().toISOString();
  await f.shares.create({
    id: shareId,
    tenantId: incident.tenantId,
    incidentId: incident.id,
    evidenceIds: [ev.id],
    recipient: { agency: 'Metropolitan Police', officerEmail: 'officer@police.example' },
    purpose: 'investigation',
    accessMode: 'view',
    status: 'active',
    tokenHash,
    createdAt: now,
    createdBy: 'user-inv',
    expiresAt: new Date(f.clock.now().getTime() + 72 * 3600_000).toISOString(),
    access: { views: 0, media: 0, downloads: 0, denied: 0 },
    updatedAt: now,
  });
  await f.links.create({ id: tokenHash, tenantId: linkPartition(tokenHash), shareTenantId: incident.tenantId, shareId, createdAt: now });
  await f.deps.sharing.notifier.send({
    kind: 'share-link',
    tenantId: incident.tenantId,
    shareId,
    incidentRef: incident.id,
    link: `https://evidence.example.test/s/${token}`,
    expiresAt: now,
    to: { email: 'officer@police.example' },
  });
  return { shareId, evidence: published };
}

export const incidentBody = (extra: Record<string, unknown> = {}) => ({
  storeId: 'store-42',
  occurredAt: T0.toISOString(),
  category: 'theft',
  description: 'Items taken from aisle 4 without payment',
  evidence: [{ fileName: 'cam1.mp4', contentType: 'video/mp4', sizeBytes: 1000 }],
  ...extra,
});
