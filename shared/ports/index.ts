import type { Readable } from 'node:stream';

/**
 * Ports: what the use cases need from the outside world. Adapters in shared/adapters implement
 * them with the Azure SDKs (production and the embedded local stack, which talks to Azurite and a
 * Cosmos DB emulator through the same SDK adapters).
 */

export interface BlobProperties {
  size: number;
  contentType: string | undefined;
  metadata: Record<string, string>;
  etag: string;
  createdOn: Date | undefined;
}

export interface BlobStore {
  /** Streams `body` into a block blob. `ifNoneMatch: '*'` makes it create-only. */
  upload(
    container: string,
    name: string,
    body: Readable | Buffer,
    options?: { contentType?: string; metadata?: Record<string, string>; createOnly?: boolean },
  ): Promise<{ etag: string }>;
  /** Streams a blob (or a byte range of it). Throws NotFoundError when missing. */
  download(
    container: string,
    name: string,
    range?: { offset: number; count?: number },
  ): Promise<{ stream: Readable; properties: BlobProperties }>;
  getProperties(container: string, name: string): Promise<BlobProperties | undefined>;
  /** Deletes a blob with its snapshots; true when something was deleted. */
  delete(container: string, name: string): Promise<boolean>;
  /**
   * Deletes every blob under `prefix` with its snapshots and, where the account keeps versions,
   * its previous versions; returns what was removed (retention and erasure).
   */
  deleteTree?(container: string, prefix: string): Promise<Array<{ name: string; versionId?: string }>>;
  list(container: string, prefix: string): AsyncIterable<{ name: string; size: number }>;
  /**
   * A short-lived URL that can only create (never read, list or overwrite) one blob.
   * Production: user-delegation SAS; local: account SAS against Azurite.
   */
  createUploadUrl(container: string, name: string, expiresOn: Date): Promise<string>;
}

export interface QueueMessage {
  id: string;
  popReceipt: string;
  dequeueCount: number;
  body: string;
  /** When it was enqueued (queue age metrics), if the queue says. */
  insertedOn?: Date;
}

export interface MessageQueue {
  send(queue: string, body: unknown, options?: { visibilityTimeoutSeconds?: number }): Promise<void>;
  receive(queue: string, options: { max: number; visibilityTimeoutSeconds: number }): Promise<QueueMessage[]>;
  /** Extends a message's invisibility (long jobs); returns the new pop receipt. */
  extend(queue: string, message: QueueMessage, visibilityTimeoutSeconds: number): Promise<string>;
  delete(queue: string, message: Pick<QueueMessage, 'id' | 'popReceipt'>): Promise<void>;
}

export interface Clock {
  now(): Date;
}

export interface Logger {
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
}

/** Optimistic-concurrency conflict (ETag mismatch or create of an existing id). */
export class ConflictError extends Error {
  override name = 'ConflictError';
}

/** A stored document with its concurrency token. */
export interface Versioned<T> {
  doc: T;
  etag: string;
}

/**
 * Tenant-partitioned document collection (Cosmos DB container, partition key /tenantId).
 * Every read and query is scoped by tenant: a document of another tenant is "not found".
 */
export interface DocumentStore<T extends { id: string; tenantId: string }> {
  /** Creates; ConflictError when the id exists. */
  create(doc: T): Promise<Versioned<T>>;
  get(tenantId: string, id: string): Promise<Versioned<T> | undefined>;
  /** Replaces only if the stored ETag still equals `etag`; else ConflictError. */
  replace(doc: T, etag: string): Promise<Versioned<T>>;
  delete(tenantId: string, id: string): Promise<boolean>;
  /** Equality filters on top-level fields, always within one tenant. */
  find(tenantId: string, where?: Partial<Record<keyof T & string, string | number | boolean>>): Promise<T[]>;
}

/**
 * What an audit event records: ids and short codes only, never personal data or media. The audit
 * adapter pseudonymises `origin` (a raw client IP is never stored) and chains the event per tenant.
 */
export interface AuditInput {
  tenantId: string;
  actor: { type: 'user' | 'service' | 'police-link' | 'system'; id: string; role?: string };
  action: string;
  target: { incidentId?: string; evidenceId?: string; shareId?: string; requestId?: string; holdId?: string; version?: number; setting?: string; attempts?: number };
  outcome: 'allowed' | 'denied' | 'succeeded' | 'failed';
  /** Client IP as seen by the app (pseudonymised before storage). */
  origin?: string;
  channel?: 'api' | 'share-page' | 'queue' | 'orchestration' | 'timer' | 'cli' | 'worker' | 'internal';
  /** A short code such as `legal-hold`, `share-expired` (free text is reduced to a code). */
  reason?: string;
  /** Deletion certificate (deletion actions only). */
  deleted?: { kind: 'blob' | 'blob-version' | 'record' | 'record-version' | 'share' | 'outbox' | 'wrapped-key' | 'orchestration' | 'report'; id: string; sha256?: string }[];
}

/** Append-only audit trail. A failed write throws: the caller must refuse the action it records. */
export interface AuditSink {
  record(event: AuditInput): Promise<void>;
}

/** Starts orchestrations and delivers events (Durable Functions client in Azure). */
export interface Orchestrations {
  /** Starts `name` with `instanceId`; 'exists' when that instance already exists (duplicates start nothing). */
  start(name: string, instanceId: string, input: unknown): Promise<'started' | 'exists'>;
  raiseEvent(instanceId: string, eventName: string, data: unknown): Promise<void>;
  status(instanceId: string): Promise<{ runtimeStatus: string; customStatus?: unknown; output?: unknown } | undefined>;
  /** Deletes a terminal instance's history (retention); false when it is missing or still running. */
  purge?(instanceId: string): Promise<boolean>;
}
