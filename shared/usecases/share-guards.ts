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

/** A denial on a link that exists (revoked, expired, superseded, dead; evidence outside the share). */
export interface DenialNote {
  tenantId: string;
  incidentId: string;
  shareId: string;
  reason: string;
  evidenceId?: string;
  /** Client address (pseudonymised by the audit sink). */
  origin?: string;
}

/** One audit event to write: `attempts` is how many denied requests it stands for. */
export interface DenialRecord extends DenialNote {
  attempts: number;
}

/**
 * Bounds the audit and counter writes that denials on a known link cause: per share and window,
 * the first denial becomes one event at once, the repeats only a count, written as one summary
 * event (`attempts`) when the window closes. So a share gets at most two denial events (and two
 * counter updates) per window however often its dead link is tried, and the map is bounded (the
 * least recently opened window is closed first). In memory per instance, like the other guards.
 *
 * The writes themselves run off the response path (see `track`): a dead link must answer as fast
 * as one that never existed, so the caller never waits for them.
 */
export class DenialCoalescer {
  private readonly windows = new Map<string, { start: number; repeats: number; last: DenialNote }>();
  private readonly pending = new Set<Promise<unknown>>();
  private sweep: NodeJS.Timeout | undefined;

  constructor(
    private readonly clock: Clock,
    readonly windowMs = 5 * 60_000,
    private readonly maxShares = 10_000,
  ) {}

  /** Notes one denial; returns what must be written now (a closed window's summary, this denial), often nothing. */
  note(d: DenialNote): DenialRecord[] {
    const now = this.clock.now().getTime();
    const open = this.windows.get(d.shareId);
    if (open && now - open.start < this.windowMs) {
      open.repeats++;
      open.last = d;
      return [];
    }
    const out: DenialRecord[] = [];
    if (open?.repeats) out.push({ ...open.last, attempts: open.repeats });
    this.windows.delete(d.shareId);
    this.windows.set(d.shareId, { start: now, repeats: 0, last: d });
    if (this.windows.size > this.maxShares) {
      const [oldest, w] = this.windows.entries().next().value!;
      this.windows.delete(oldest);
      if (w.repeats) out.push({ ...w.last, attempts: w.repeats });
    }
    out.push({ ...d, attempts: 1 });
    return out;
  }

  /** Closes the windows that have ended (every window with `all`) and returns their summaries. */
  drain(all = false): DenialRecord[] {
    const now = this.clock.now().getTime();
    const out: DenialRecord[] = [];
    for (const [id, w] of this.windows) {
      if (!all && now - w.start < this.windowMs) continue;
      this.windows.delete(id);
      if (w.repeats) out.push({ ...w.last, attempts: w.repeats });
    }
    return out;
  }

  /** Open windows (tests, health). */
  get size(): number {
    return this.windows.size;
  }

  /** Runs `fn` every window while windows are open (an unref'd timer: it never keeps a process alive). */
  armSweep(fn: () => void): void {
    if (this.sweep) return;
    this.sweep = setInterval(() => {
      fn();
      if (this.windows.size === 0 && this.sweep) {
        clearInterval(this.sweep);
        this.sweep = undefined;
      }
    }, this.windowMs);
    this.sweep.unref();
  }

  /** Runs a background write after the current response (never rejects: `write` handles its errors). */
  track(write: () => Promise<void>): void {
    const p: Promise<void> = new Promise<void>((r) => setImmediate(r)).then(write).finally(() => this.pending.delete(p));
    this.pending.add(p);
  }

  /** Resolves once every background write started so far has finished. */
  async idle(): Promise<void> {
    while (this.pending.size) await Promise.allSettled([...this.pending]);
  }
}

/** A session key without cookies: a hash of the client address and user agent (never stored). */
export function sessionKeyOf(client: string | undefined, userAgent: string | undefined): string {
  return createHash('sha256').update(`${client ?? ''}\0${userAgent ?? ''}`).digest('base64url').slice(0, 22);
}
