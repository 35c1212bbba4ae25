import { createHash } from 'node:crypto';
import type { Clock } from '../ports/index.js';

/**
 * Per-instance, in-memory guards for the police share page.
 *
 * InvalidAttemptLimiter: a token bucket per client. Only invalid attempts (malformed, unknown,
 * superseded, revoked or expired links, evidence not in the share) take a token; a client whose
 * bucket is empty is refused (429) before any lookup, for valid links too, so the limiter is no
 * oracle. Buckets live in the memory of one Functions instance: with N instances a client gets at
 * most N× the budget, which still makes guessing a 256-bit token hopeless; a front door WAF rule can
 * add a global limit. The map is bounded (least recently used clients are dropped first).
 */
export class InvalidAttemptLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly clock: Clock,
    readonly options: { burst: number; refillPerMinute: number; maxClients: number } = { burst: 20, refillPerMinute: 2, maxClients: 10_000 },
  ) {}

  private bucket(key: string) {
    const now = this.clock.now().getTime();
    const b = this.buckets.get(key) ?? { tokens: this.options.burst, at: now };
    b.tokens = Math.min(this.options.burst, b.tokens + ((now - b.at) / 60_000) * this.options.refillPerMinute);
    b.at = now;
    this.buckets.delete(key);
    this.buckets.set(key, b);
    if (this.buckets.size > this.options.maxClients) this.buckets.delete(this.buckets.keys().next().value!);
    return b;
  }

  /** Seconds until the client may try again; 0 when it may proceed now. */
  retryAfterSeconds(key: string): number {
    const b = this.bucket(key);
    return b.tokens >= 1 ? 0 : Math.ceil(((1 - b.tokens) / this.options.refillPerMinute) * 60);
  }

  /** Records one invalid attempt. */
  fail(key: string): void {
    const b = this.bucket(key);
    b.tokens = Math.max(0, b.tokens - 1);
  }
}

/**
 * Coalesces media-request audit events: a video player issues many Range requests for one
 * viewing, so one `share.media` event is written per share + evidence + mode + session within the
 * window (the first request of a window writes it, before any byte is served). Denials are never
 * coalesced. In memory per instance: a viewing spread over instances writes one event per instance.
 */
export class AccessCoalescer {
  private readonly last = new Map<string, number>();

  constructor(
    private readonly clock: Clock,
    readonly windowMs = 5 * 60_000,
    private readonly maxKeys = 50_000,
  ) {}

  /** True when this access must be audited (first in its window). */
  shouldRecord(key: string): boolean {
    const now = this.clock.now().getTime();
    const seen = this.last.get(key);
    if (seen !== undefined && now - seen < this.windowMs) return false;
    this.last.delete(key);
    this.last.set(key, now);
    if (this.last.size > this.maxKeys) this.last.delete(this.last.keys().next().value!);
    return true;
  }
}

/** A session key without cookies: a hash of the client address and user agent (never stored). */
export function sessionKeyOf(client: string | undefined, userAgent: string | undefined): string {
  return createHash('sha256').update(`${client ?? ''}\0${userAgent ?? ''}`).digest('base64url').slice(0, 22);
}
