/**
 * Envelope encryption: per-incident data keys wrapped by a key-encryption key (KEK).
 *
 * - Each incident gets its own random 256-bit data key (DEK). The DEK never leaves memory in clear;
 *   only its wrapped form (RSA-OAEP-256 under the KEK) is stored, next to the incident record.
 * - The KEK lives in the geography's Key Vault (production) or in a local key file (embedded
 *   stack); both implement {@link KeyWrapper}. Wrapped keys carry the *versioned* KEK id, so after
 *   a KEK rotation old wraps still unwrap with their version while new wraps use the new one;
 *   {@link rewrapAll} moves old wraps to the current version.
 * - Fail closed: if the KEK cannot be used, {@link DataKeyService} throws
 *   {@link KeyUnavailableError} and nothing is decrypted or written. The composition root should
 *   alert on that error.
 * - Crypto-shredding: destroying the wrapped DEK (and forgetting cached copies) makes every
 *   ciphertext of the incident permanently unreadable, including copies that survive elsewhere.
 */
import { createHash, randomBytes } from 'node:crypto';
import { z } from 'zod';
import type { Clock, Logger } from '../ports/index.js';
import { KeyUnavailableError } from './errors.js';

export { KeyUnavailableError } from './errors.js';

/** The only key-wrapping algorithm used: RSAES-OAEP with SHA-256 and MGF1-SHA-256. */
export type WrapAlgorithm = 'RSA-OAEP-256';

/** A data key wrapped by a KEK; safe to store (it is useless without the KEK). */
export interface WrappedKey {
  /** Versioned KEK identifier, e.g. `https://<vault>/keys/<name>/<version>` or `local:<name>/v0001`. */
  keyId: string;
  algorithm: WrapAlgorithm;
  /** base64url of the RSA-OAEP-256 ciphertext. */
  wrapped: string;
}

/** zod schema for a stored {@link WrappedKey} (strict: unknown fields are rejected). */
export const WrappedKeySchema = z.strictObject({
  keyId: z.string().min(1).max(512),
  algorithm: z.literal('RSA-OAEP-256'),
  wrapped: z.string().regex(/^[A-Za-z0-9_-]{16,2048}$/),
});

/**
 * Port: wraps and unwraps data keys with a key-encryption key. Implementations must
 * - wrap with the *current* KEK version and return its versioned id,
 * - unwrap with exactly the version named in `WrappedKey.keyId` (never "latest"),
 * - throw {@link KeyUnavailableError} when the KEK cannot be used (unreachable, denied, missing).
 */
export interface KeyWrapper {
  wrap(dataKey: Buffer): Promise<WrappedKey>;
  unwrap(wrapped: WrappedKey): Promise<Buffer>;
  /** Versioned id of the KEK that new wraps use. */
  currentKeyId(): Promise<string>;
}

/** Identifies an incident's data key. */
export interface DataKeyRef {
  tenantId: string;
  incidentId: string;
}

/** Length of data keys in bytes (AES-256). */
export const DATA_KEY_LENGTH = 32;

/**
 * The key ref written in clear into segmented-blob headers for an incident's data key (an
 * identifier, never key material). Printable ASCII ids are expected.
 */
export function dataKeyRefFor(ref: DataKeyRef): string {
  return `dk1:${ref.incidentId}`;
}

/** Options for {@link DataKeyService}. */
export interface DataKeyServiceOptions {
  /** How long an unwrapped key stays cached; default 5 minutes. 0 disables caching. */
  cacheTtlMs?: number;
  /** Maximum number of cached keys (least recently used are evicted and zeroed); default 256. */
  maxCachedKeys?: number;
  clock?: Clock;
  /** Receives failures (ids and reasons only, never key material). */
  logger?: Logger;
}

interface CacheEntry {
  key: Buffer;
  fingerprint: string;
  expiresAt: number;
}

const systemClock: Clock = { now: () => new Date() };

function fingerprintOf(w: WrappedKey): string {
  return createHash('sha256').update(w.keyId).update('\0').update(w.wrapped).digest('base64url');
}

function cacheKeyOf(ref: DataKeyRef): string {
  return `${ref.tenantId}\0${ref.incidentId}`;
}

function toUnavailable(err: unknown, what: string): KeyUnavailableError {
  if (err instanceof KeyUnavailableError) return err;
  return new KeyUnavailableError('unknown', `${what}: key wrapper failed`, { cause: err });
}

/**
 * Generates, wraps and unwraps per-incident data keys, with a small bounded in-memory cache of
 * unwrapped keys (so streaming a video does not call Key Vault per Range request).
 *
 * Returned key Buffers are copies: callers may (and should) zero them after use.
 */
export class DataKeyService {
  private readonly cache = new Map<string, CacheEntry>();
  private readonly inflight = new Map<string, Promise<Buffer>>();
  private readonly ttl: number;
  private readonly max: number;
  private readonly clock: Clock;

  constructor(
    private readonly wrapper: KeyWrapper,
    private readonly options: DataKeyServiceOptions = {},
  ) {
    this.ttl = options.cacheTtlMs ?? 5 * 60_000;
    this.max = options.maxCachedKeys ?? 256;
    this.clock = options.clock ?? systemClock;
    if (this.ttl < 0 || this.max < 0) throw new RangeError('DataKeyService: cache bounds must be ≥ 0');
  }

  /**
   * Creates a new data key for an incident and wraps it with the current KEK. Store `wrapped` in
   * the incident record (create-only) before encrypting anything with `dataKey`.
   * @throws KeyUnavailableError when the KEK cannot be used (nothing must be written then).
   */
  async create(ref: DataKeyRef): Promise<{ dataKey: Buffer; wrapped: WrappedKey; keyRef: string }> {
    const dataKey = randomBytes(DATA_KEY_LENGTH);
    let wrapped: WrappedKey;
    try {
      wrapped = await this.wrapper.wrap(dataKey);
    } catch (err) {
      dataKey.fill(0);
      throw this.fail(ref, toUnavailable(err, 'wrap'));
    }
    this.remember(ref, wrapped, dataKey);
    return { dataKey, wrapped, keyRef: dataKeyRefFor(ref) };
  }

  /**
   * Returns the incident's data key, unwrapping `wrapped` unless a fresh cached copy exists for
   * exactly this wrapped value.
   * @throws KeyUnavailableError when the KEK cannot be used: fail closed, serve nothing.
   */
  async open(ref: DataKeyRef, wrapped: WrappedKey): Promise<Buffer> {
    const parsed = WrappedKeySchema.safeParse(wrapped);
    if (!parsed.success) {
      throw this.fail(ref, new KeyUnavailableError('rejected', 'open: stored wrapped key is malformed'));
    }
    const id = cacheKeyOf(ref);
    const fingerprint = fingerprintOf(wrapped);
    const cached = this.lookup(id, fingerprint);
    if (cached) return Buffer.from(cached);
    const flightKey = `${id}\0${fingerprint}`;
    let flight = this.inflight.get(flightKey);
    if (!flight) {
      flight = this.unwrap(ref, wrapped).finally(() => this.inflight.delete(flightKey));
      this.inflight.set(flightKey, flight);
    }
    return Buffer.from(await flight);
  }

  /** Drops (and zeroes) any cached copy of an incident's key, e.g. before crypto-shredding. */
  forget(ref: DataKeyRef): void {
    const id = cacheKeyOf(ref);
    const entry = this.cache.get(id);
    if (entry) entry.key.fill(0);
    this.cache.delete(id);
  }

  /** Drops and zeroes every cached key. */
  clear(): void {
    for (const entry of this.cache.values()) entry.key.fill(0);
    this.cache.clear();
  }

  /** Number of keys currently cached (for tests and metrics). */
  get cachedCount(): number {
    return this.cache.size;
  }

  private async unwrap(ref: DataKeyRef, wrapped: WrappedKey): Promise<Buffer> {
    let key: Buffer;
    try {
      key = await this.wrapper.unwrap(wrapped);
    } catch (err) {
      throw this.fail(ref, toUnavailable(err, 'unwrap'));
    }
    if (key.length !== DATA_KEY_LENGTH) {
      key.fill(0);
      throw this.fail(ref, new KeyUnavailableError('rejected', 'unwrap: unwrapped key has the wrong length'));
    }
    this.remember(ref, wrapped, key);
    return key;
  }

  private lookup(id: string, fingerprint: string): Buffer | undefined {
    const entry = this.cache.get(id);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.clock.now().getTime() || entry.fingerprint !== fingerprint) {
      entry.key.fill(0);
      this.cache.delete(id);
      return undefined;
    }
    // Refresh LRU position (not the expiry: a key is re-unwrapped at least every TTL).
    this.cache.delete(id);
    this.cache.set(id, entry);
    return entry.key;
  }

  private remember(ref: DataKeyRef, wrapped: WrappedKey, key: Buffer): void {
    if (this.ttl === 0 || this.max === 0) return;
    const id = cacheKeyOf(ref);
    const old = this.cache.get(id);
    if (old) old.key.fill(0);
    this.cache.delete(id);
    this.cache.set(id, { key: Buffer.from(key), fingerprint: fingerprintOf(wrapped), expiresAt: this.clock.now().getTime() + this.ttl });
    while (this.cache.size > this.max) {
      const oldest = this.cache.keys().next();
      if (oldest.done) break;
      this.cache.get(oldest.value)?.key.fill(0);
      this.cache.delete(oldest.value);
    }
  }

  private fail(ref: DataKeyRef, err: KeyUnavailableError): KeyUnavailableError {
    this.options.logger?.error('data key unavailable', {
      tenantId: ref.tenantId,
      incidentId: ref.incidentId,
      reason: err.reason,
    });
    return err;
  }
}

/** Summary of a {@link rewrapAll} run. */
export interface RewrapSummary {
  /** KEK version that new wraps used. */
  currentKeyId: string;
  examined: number;
  rewrapped: number;
  /** Already wrapped with the current KEK version. */
  alreadyCurrent: number;
  /** Records that could not be re-wrapped (ids and reasons only). */
  failed: Array<{ id: string; reason: string }>;
}

/** How {@link rewrapAll} reads and persists records holding wrapped keys. */
export interface RewrapIO<R> {
  /** Opaque record id for the summary. */
  id(record: R): string;
  wrappedOf(record: R): WrappedKey;
  /**
   * Persists the new wrapped key. Must use optimistic concurrency (ETag) against the record read;
   * on conflict, throw: the record is reported as failed and can be retried in the next run.
   */
  save(record: R, next: WrappedKey): Promise<void>;
}

/**
 * KEK rotation: re-wraps every data key not wrapped with the current KEK version. The data keys
 * themselves do not change, so no evidence has to be re-encrypted. Old KEK versions must stay
 * enabled until a run reports no failures. Aborts (throws) when the key service is unreachable;
 * other per-record failures are collected.
 */
export async function rewrapAll<R>(
  records: Iterable<R> | AsyncIterable<R>,
  wrapper: KeyWrapper,
  io: RewrapIO<R>,
): Promise<RewrapSummary> {
  const currentKeyId = await wrapper.currentKeyId();
  const summary: RewrapSummary = { currentKeyId, examined: 0, rewrapped: 0, alreadyCurrent: 0, failed: [] };
  for await (const record of records) {
    summary.examined++;
    const old = io.wrappedOf(record);
    if (old.keyId === currentKeyId) {
      summary.alreadyCurrent++;
      continue;
    }
    let key: Buffer | undefined;
    try {
      key = await wrapper.unwrap(old);
      const next = await wrapper.wrap(key);
      await io.save(record, next);
      summary.rewrapped++;
    } catch (err) {
      if (err instanceof KeyUnavailableError && err.reason === 'unreachable') throw err;
      summary.failed.push({ id: io.id(record), reason: err instanceof KeyUnavailableError ? err.reason : (err as Error).name || 'error' });
    } finally {
      key?.fill(0);
    }
  }
  return summary;
}
