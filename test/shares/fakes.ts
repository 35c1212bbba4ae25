/**
 * In-memory FAKES for the sharing unit tests (not adapters: the real Cosmos/Blob adapters are
 * covered by the integration tests). The document store parses with the record's zod schema on
 * every write, as the Cosmos adapter does.
 */
import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { encryptBuffer } from '../../shared/crypto/segmented-aead.js';
import type { z } from 'zod';
import { loadConfig } from '../../shared/config/config.js';
import { createScreener } from '../../shared/domain/screening.js';
import { CONTAINERS, type EvidenceRecord, type IncidentRecord } from '../../shared/domain/incident.js';
import { ShareLinkRecordSchema, ShareRecordSchema, type ShareRecord } from '../../shared/domain/share.js';
import {
  ConflictError,
  NotFoundError,
  type AuditInput,
  type BlobProperties,
  type BlobStore,
  type Clock,
  type DocumentStore,
  type Logger,
  type Orchestrations,
  type Versioned,
} from '../../shared/ports/index.js';
import type { Notification, Notifier } from '../../shared/ports/notifier.js';
import { AccessCoalescer, DenialCoalescer, InvalidAttemptLimiter } from '../../shared/usecases/share-guards.js';
import type { Deps } from '../../shared/usecases/deps.js';
import type { Principal } from '../../shared/auth/tokens.js';

export class ManualClock implements Clock {
  constructor(private t: number) {}
  now() {
    return new Date(this.t);
  }
  set(d: Date | string) {
    this.t = new Date(d).getTime();
  }
  advance(ms: number) {
    this.t += ms;
  }
}

export class MemoryDocumentStore<T extends { id: string; tenantId: string }> implements DocumentStore<T> {
  readonly docs = new Map<string, { doc: T; etag: string }>();
  private n = 0;
  constructor(private readonly schema?: z.ZodType<T>) {}
  private key = (tenantId: string, id: string) => `${tenantId}\u0000${id}`;
  private check = (doc: T) => (this.schema ? this.schema.parse(doc) : doc);
  async create(doc: T): Promise<Versioned<T>> {
    const k = this.key(doc.tenantId, doc.id);
    if (this.docs.has(k)) throw new ConflictError(`document ${doc.id} exists`);
    const v = { doc: structuredClone(this.check(doc)), etag: `e${++this.n}` };
    this.docs.set(k, v);
    return structuredClone(v);
  }
  async get(tenantId: string, id: string) {
    const v = this.docs.get(this.key(tenantId, id));
    return v ? structuredClone(v) : undefined;
  }
  async replace(doc: T, etag: string) {
    const k = this.key(doc.tenantId, doc.id);
    const cur = this.docs.get(k);
    if (!cur || cur.etag !== etag) throw new ConflictError(`document ${doc.id} changed`);
    const v = { doc: structuredClone(this.check(doc)), etag: `e${++this.n}` };
    this.docs.set(k, v);
    return structuredClone(v);
  }
  async delete(tenantId: string, id: string) {
    return this.docs.delete(this.key(tenantId, id));
  }
  async find(tenantId: string, where: Partial<Record<string, string | number | boolean>> = {}) {
    return [...this.docs.values()]
      .map((v) => v.doc)
      .filter((d) => d.tenantId === tenantId && Object.entries(where).every(([k, val]) => (d as Record<string, unknown>)[k] === val))
      .map((d) => structuredClone(d));
  }
}

/** Blob fake with byte ranges, streaming in small chunks (so stream guards can act mid-transfer). */
/** Blob storage in memory; downloads arrive in `chunkSize` pieces like a network stream. */
export class MemoryBlobs implements BlobStore {
  readonly blobs = new Map<string, { data: Buffer; contentType?: string }>();
  chunkSize = 16 * 1024;
  private key = (c: string, n: string) => `${c}/${n}`;
  put(container: string, name: string, data: Buffer) {
    this.blobs.set(this.key(container, name), { data });
  }
  async upload(container: string, name: string, body: Readable | Buffer, options: { contentType?: string; createOnly?: boolean } = {}) {
    if (options.createOnly && this.blobs.has(this.key(container, name))) throw new Error('exists');
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(body)) chunks.push(body);
    else for await (const c of body) chunks.push(Buffer.isBuffer(c) ? c : Buffer.from(c as Uint8Array));
    this.blobs.set(this.key(container, name), { data: Buffer.concat(chunks), ...(options.contentType ? { contentType: options.contentType } : {}) });
    return { etag: '"1"' };
  }
  async download(container: string, name: string, range?: { offset: number; count?: number }) {
    const b = this.blobs.get(this.key(container, name));
    if (!b) throw new NotFoundError(name);
    const start = range?.offset ?? 0;
    const end = range?.count !== undefined ? start + range.count : b.data.length;
    const slice = b.data.subarray(start, end);
    const chunks: Buffer[] = [];
    for (let i = 0; i < slice.length; i += this.chunkSize) chunks.push(slice.subarray(i, i + this.chunkSize));
    const properties: BlobProperties = { size: b.data.length, contentType: b.contentType, metadata: {}, etag: '"1"', createdOn: undefined };
    return { stream: Readable.from(chunks, { objectMode: false }), properties };
  }
  async getProperties(container: string, name: string): Promise<BlobProperties | undefined> {
    const b = this.blobs.get(this.key(container, name));
    return b ? { size: b.data.length, contentType: b.contentType, metadata: {}, etag: '"1"', createdOn: undefined } : undefined;
  }
  async delete(container: string, name: string) {
    return this.blobs.delete(this.key(container, name));
  }
  async *list(container: string, prefix: string) {
    for (const [k, v] of [...this.blobs]) if (k.startsWith(`${container}/${prefix}`)) yield { name: k.slice(container.length + 1), size: v.data.length };
  }
  async createUploadUrl(container: string, name: string) {
    return `memory://${container}/${name}`;
  }
  /** Every stored blob name that mentions `id` (any container). */
  mentioning(id: string): string[] {
    return [...this.blobs.keys()].filter((k) => k.includes(id));
  }
}

export class MemoryNotifier implements Notifier {
  readonly sent: Notification[] = [];
  failuresLeft = 0;
  async send(n: Notification) {
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('mail server unavailable');
    }
    this.sent.push(structuredClone(n));
  }
  links() {
    return this.sent.flatMap((n) => (n.kind === 'share-link' ? [n.link] : []));
  }
  lastToken() {
    const link = this.links().at(-1);
    return link?.slice(link.lastIndexOf('/') + 1);
  }
}

export class RecordingLogger implements Logger {
  readonly lines: string[] = [];
  info = (m: string, f?: Record<string, unknown>) => void this.lines.push(JSON.stringify({ level: 'info', m, ...f }));
  warn = (m: string, f?: Record<string, unknown>) => void this.lines.push(JSON.stringify({ level: 'warn', m, ...f }));
  error = (m: string, f?: Record<string, unknown>) => void this.lines.push(JSON.stringify({ level: 'error', m, ...f }));
}

export class FakeOrchestrations implements Orchestrations {
  readonly started: Array<{ name: string; instanceId: string; input: unknown }> = [];
  readonly events: Array<{ instanceId: string; eventName: string; data: unknown }> = [];
  async start(name: string, instanceId: string, input: unknown) {
    if (this.started.some((s) => s.instanceId === instanceId)) return 'exists' as const;
    this.started.push({ name, instanceId, input });
    return 'started' as const;
  }
  async raiseEvent(instanceId: string, eventName: string, data: unknown) {
    this.events.push({ instanceId, eventName, data });
  }
  async status() {
    return undefined;
  }
}

export const T0 = new Date('2026-11-20T09:00:00.000Z');

/** The fake incident data key: media blobs are sealed with it, as the worker seals them. */
export const DATA_KEY = randomBytes(32);
const FAKE_WRAPPED_KEY = { keyId: 'local:test/v0001', algorithm: 'RSA-OAEP-256', wrapped: 'ZmFrZS13cmFwcGVkLWtleS1mb3ItdGVzdHM' };
/** Plaintext media of each fake evidence item (by blob name). */
export const PLAINTEXT = new Map<string, Buffer>();

/** Local-mode configuration for unit tests (no emulator is reached: every store is an in-memory fake). */
export function unitTestConfig() {
  return loadConfig({
    BYSTANDER_MODE: 'local',
    BYSTANDER_GEOGRAPHY: 'local',
    STORAGE_CONNECTION_STRING: 'UseDevelopmentStorage=true',
    COSMOS__accountEndpoint: 'https://127.0.0.1:1/',
    AUTH__issuer: 'test',
    AUTH__audience: 'test',
    AUTH_DEV_KEY_DIR: '/nonexistent',
  });
}

export function fakeDeps(clock = new ManualClock(T0.getTime())) {
  const incidents = new MemoryDocumentStore<IncidentRecord>();
  const shares = new MemoryDocumentStore<ShareRecord>(ShareRecordSchema);
  const links = new MemoryDocumentStore(ShareLinkRecordSchema);
  const audit: AuditInput[] = [];
  const notifier = new MemoryNotifier();
  const logger = new RecordingLogger();
  const blobs = new MemoryBlobs();
  let n = 0;
  const config = unitTestConfig();
  const deps = {
    config,
    blobs,
    queue: undefined as never,
    incidents,
    audit: {
      async record(e: AuditInput) {
        audit.push(structuredClone(e));
      },
    },
    clock,
    logger,
    screener: createScreener(),
    newId: () => `id-${++n}`,
    dataKeys: { open: async () => DATA_KEY, create: async () => ({ dataKey: DATA_KEY, wrapped: FAKE_WRAPPED_KEY, keyRef: 'dk1:inc-1' }) },
    sharing: {
      shares,
      links,
      notifier,
      publicBaseUrl: () => 'https://evidence.example.test',
      webhooks: false,
      limiter: new InvalidAttemptLimiter(clock),
      mediaAudit: new AccessCoalescer(clock),
      denials: new DenialCoalescer(clock),
    },
  };
  // Cast, not `satisfies`: the sharing use cases need only these members, and Deps grows as others land.
  return { deps: deps as unknown as Deps, clock, incidents, shares, links, audit, notifier, logger, blobs };
}

export const investigator: Principal = { tenantId: 't1', subject: 'user-inv', roles: ['investigator'] };
export const uploader: Principal = { tenantId: 't1', subject: 'user-up', roles: ['uploader'] };
export const otherTenant: Principal = { tenantId: 't2', subject: 'user-other', roles: ['investigator', 'admin'] };

export function evidence(id: string, status: EvidenceRecord['status'], kind: 'video' | 'image' = 'video', size = 100_000): EvidenceRecord {
  return {
    id,
    tenantId: 't1',
    incidentId: 'inc-1',
    fileName: kind === 'video' ? `${id}.mp4` : `${id}.jpg`,
    contentType: kind === 'video' ? 'video/mp4' : 'image/jpeg',
    mediaKind: kind,
    declaredSizeBytes: size,
    subjectHints: [],
    status,
    uploadExpiresAt: T0.toISOString(),
    updatedAt: T0.toISOString(),
    ...(status === 'published'
      ? {
          redacted: {
            blobName: `t1/inc-1/${id}/redacted.a1`,
            sha256: 'a'.repeat(64),
            sizeBytes: size,
            storedBytes: sealed(`t1/inc-1/${id}/redacted.a1`, size, id).length,
            contentType: kind === 'video' ? 'video/mp4' : 'image/jpeg',
            reportBlobName: 'r',
          } as Record<string, unknown> as NonNullable<EvidenceRecord['redacted']>,
          publishedAt: T0.toISOString(),
        }
      : {}),
    ...(status === 'quarantined' ? { quarantine: { code: 'verification-failed', reason: 'face found', at: T0.toISOString() } } : {}),
  };
}

function sealed(blobName: string, size: number, id: string): Buffer {
  const plain = PLAINTEXT.get(blobName) ?? Buffer.alloc(size, id.charCodeAt(3));
  PLAINTEXT.set(blobName, plain);
  return encryptBuffer(plain, { key: DATA_KEY, keyRef: 'dk1:inc-1', segmentSize: 16 * 1024 });
}

/** An incident with published ev-1 (video) and ev-3 (image), quarantined ev-2 and processing ev-4, with blobs. */
export async function seedIncident(f: ReturnType<typeof fakeDeps>) {
  const ev = [evidence('ev-1', 'published', 'video', 200_000), evidence('ev-2', 'quarantined'), evidence('ev-3', 'published', 'image', 5_000), evidence('ev-4', 'processing')];
  const incident: IncidentRecord = {
    id: 'inc-1',
    tenantId: 't1',
    geography: 'local',
    storeId: 'store-42',
    occurredAt: '2026-11-19T10:00:00.000Z',
    category: 'theft',
    outcome: 'none',
    description: 'Items taken from aisle 4 without payment',
    evidence: ev,
    createdAt: T0.toISOString(),
    createdBy: 'user-up',
    updatedAt: T0.toISOString(),
    ...({ dataKey: FAKE_WRAPPED_KEY } as object),
  };
  await f.incidents.create(incident);
  for (const e of ev) if (e.redacted) f.blobs.put(CONTAINERS.evidence, e.redacted.blobName, sealed(e.redacted.blobName, e.redacted.sizeBytes, e.id));
  return incident;
}

export const shareBody = (extra: Record<string, unknown> = {}) => ({
  recipient: { agency: 'Metropolitan Police', officerEmail: 'officer@police.example' },
  purpose: 'investigation',
  evidenceIds: ['ev-1', 'ev-3'],
  accessMode: 'view',
  ...extra,
});

export const client = (key = '203.0.113.7') => ({ key, origin: key, session: `s-${key}` });

export async function readAll(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const c of stream) chunks.push(c as Buffer);
  return Buffer.concat(chunks);
}
