/**
 * AuditLog: records audit events on a tenant's hash chain. If the event cannot be written, `record`
 * throws {@link AuditWriteError} and the caller must refuse the action it was about to perform
 * (write-ahead: record first, then act; for reads, record before releasing data).
 *
 * Concurrency: appends for one tenant are serialised inside this process, and across processes the
 * store's compare-and-set on the chain head rejects a stale writer, which then re-reads the head
 * and retries with the next seq. The chain therefore never forks.
 */
import { ZodError } from 'zod';
import { ConflictError, type Clock, type Logger } from '../ports/index.js';
import { AUDIT_EVENT_VERSION, AuditInputSchema, GENESIS_HASH, auditEventId, computeEventHash, type AuditEvent, type AuditInput } from './event.js';
import type { AuditStore, ChainHead } from './store.js';

/** The audit event could not be written; the audited action must be refused. */
export class AuditWriteError extends Error {
  override name = 'AuditWriteError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

/** Options for {@link AuditLog}. */
export interface AuditLogOptions {
  clock?: Clock;
  logger?: Logger;
  /** Attempts per event under cross-process contention; default 10. */
  maxAttempts?: number;
}

/** Hash-chained, per-tenant audit trail over an {@link AuditStore}. */
export class AuditLog {
  private readonly heads = new Map<string, ChainHead | undefined>();
  private readonly queues = new Map<string, Promise<unknown>>();
  private readonly clock: Clock;
  private readonly maxAttempts: number;

  constructor(
    private readonly store: AuditStore,
    private readonly options: AuditLogOptions = {},
  ) {
    this.clock = options.clock ?? { now: () => new Date() };
    this.maxAttempts = options.maxAttempts ?? 10;
  }

  /**
   * Validates `input` (ids only, strict schema), chains it after the tenant's head and appends it.
   * @returns the stored event.
   * @throws AuditWriteError when the input is invalid or the store fails: refuse the action.
   */
  async record(input: AuditInput): Promise<AuditEvent> {
    let parsed: AuditInput;
    try {
      parsed = AuditInputSchema.parse(input);
    } catch (err) {
      const issue = err instanceof ZodError ? err.issues[0] : undefined;
      throw new AuditWriteError(`audit: invalid event${issue ? ` (${issue.path.join('.')}: ${issue.message})` : ''}`, { cause: err });
    }
    const tenantId = parsed.tenantId;
    const previous = this.queues.get(tenantId) ?? Promise.resolve();
    const run = previous.then(() => this.appendWithRetry(parsed));
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.queues.set(tenantId, settled);
    void settled.then(() => {
      if (this.queues.get(tenantId) === settled) this.queues.delete(tenantId);
    });
    return run;
  }

  private async appendWithRetry(input: AuditInput): Promise<AuditEvent> {
    const tenantId = input.tenantId;
    let lastError: unknown;
    for (let attempt = 1; attempt <= this.maxAttempts; attempt++) {
      try {
        const head = this.heads.has(tenantId) ? this.heads.get(tenantId) : await this.store.head(tenantId);
        const seq = (head?.seq ?? 0) + 1;
        const body = {
          v: AUDIT_EVENT_VERSION,
          id: auditEventId(seq),
          tenantId,
          seq,
          at: this.clock.now().toISOString(),
          ...stripUndefined({
            actor: input.actor,
            action: input.action,
            target: input.target,
            outcome: input.outcome,
            origin: input.origin,
            reason: input.reason,
            deleted: input.deleted,
          }),
          prevHash: head?.hash ?? GENESIS_HASH,
        } as Omit<AuditEvent, 'hash'>;
        const event = { ...body, hash: computeEventHash(body) } as AuditEvent;
        const newHead = await this.store.append(event, head);
        this.heads.set(tenantId, newHead);
        return event;
      } catch (err) {
        this.heads.delete(tenantId);
        lastError = err;
        if (!(err instanceof ConflictError)) break;
        await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 ** attempt)));
      }
    }
    this.options.logger?.error('audit write failed', { tenantId, action: input.action, error: (lastError as Error)?.name });
    throw new AuditWriteError(
      lastError instanceof ConflictError ? 'audit: chain head contention, gave up' : 'audit: store failed',
      { cause: lastError },
    );
  }
}

function stripUndefined<T extends Record<string, unknown>>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}
