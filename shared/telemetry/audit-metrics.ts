import type { AuditSink } from '../ports/index.js';
import { telemetryMetrics } from './metrics.js';

/**
 * Evidence outcomes counted from the audit trail (as webhook events are): an item counts once it is
 * audited as published or quarantined (attribute code: the quarantine code).
 */
export function outcomeMetricsAudit(inner: AuditSink): AuditSink {
  return {
    async record(event) {
      await inner.record(event);
      if (event.action === 'evidence.published') telemetryMetrics.outcome('published');
      else if (event.action === 'evidence.quarantined') telemetryMetrics.outcome('quarantined', event.reason ?? 'unknown');
    },
  };
}
