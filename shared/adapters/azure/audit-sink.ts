import type { AuditInput, AuditSink, Clock, Logger } from '../../ports/index.js';
import { AuditLog } from '../../audit/audit-log.js';
import type { AuditInput as ChainInput } from '../../audit/event.js';
import { pseudonymiseIp, type OriginKey } from '../../audit/origin.js';
import type { AuditStore } from '../../audit/store.js';

export const AUDIT_CONTAINER = 'audit';

const OPAQUE = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** Reduces free text to the short lowercase code the audit schema accepts. */
export function toCode(text: string | undefined): string | undefined {
  if (!text) return undefined;
  const code = text
    .toLowerCase()
    .replace(/[^a-z0-9._:-]+/g, '-')
    .replace(/^[^a-z]+/, '')
    .replace(/-+$/, '')
    .slice(0, 64);
  return code || undefined;
}

function opaque(id: string | undefined): string | undefined {
  if (id === undefined) return undefined;
  return OPAQUE.test(id) ? id : 'invalid-id';
}

/**
 * The tamper-evident audit trail behind the AuditSink port: inputs are normalised (ids kept only
 * when they are opaque ids, reasons reduced to codes, IPs pseudonymised with a keyed HMAC) and
 * appended to the tenant's hash chain. A failed write throws, so the caller refuses the action.
 */
export function createChainedAuditSink(log: AuditLog, originKey: OriginKey): AuditSink & { log: AuditLog } {
  return {
    log,
    async record(input: AuditInput) {
      const ip = pseudonymiseIp(input.origin, originKey);
      const target = Object.fromEntries(
        Object.entries(input.target)
          .filter(([, v]) => v !== undefined)
          .map(([k, v]) => [k, typeof v === 'number' ? v : k === 'setting' ? toCode(v) : opaque(v)]),
      );
      const event: ChainInput = {
        tenantId: input.tenantId,
        actor: { type: input.actor.type, id: opaque(input.actor.id)!, ...(input.actor.role ? { role: toCode(input.actor.role)! } : {}) },
        action: input.action as ChainInput['action'],
        target,
        outcome: input.outcome,
        origin: { channel: input.channel ?? (input.actor.type === 'police-link' ? 'share-page' : input.actor.type === 'user' ? 'api' : 'orchestration'), ...(ip ? { ip } : {}) },
        ...(input.reason ? { reason: toCode(input.reason)! } : {}),
        ...(input.deleted ? { deleted: input.deleted } : {}),
      };
      await log.record(event);
    },
  };
}

export function createAuditSink(store: AuditStore, clock: Clock, logger: Logger, originKey: OriginKey) {
  return createChainedAuditSink(new AuditLog(store, { clock, logger }), originKey);
}
