import type { AuditEvent } from '../audit/event.js';
import type { EvidenceStatus, IncidentCategory } from '../domain/incident.js';

/**
 * Ports of the investigator console's reads (issue 13): a tenant's incident list with filters and
 * continuation tokens and one incident's audit trail. Each is tenant-scoped by its arguments; the adapters put tenantId in every WHERE clause.
 */

export interface IncidentListFilter {
  storeId?: string;
  /** occurredAt ≥ from (UTC ISO). */
  from?: string;
  /** occurredAt < to (UTC ISO). */
  to?: string;
  category?: IncidentCategory;
  /** Incidents with at least one evidence item in this status. */
  status?: EvidenceStatus;
}

/** The minimised row of the list: no description, no subject hints, no blob names. */
export interface IncidentListRow {
  id: string;
  storeId: string;
  occurredAt: string;
  category: IncidentCategory;
  outcome: string;
  createdAt: string;
  evidence: Array<{ id: string; status: EvidenceStatus; mediaKind: 'video' | 'image' }>;
}

export interface IncidentIndex {
  /** Newest first (occurredAt descending). `continuation` is the store's own opaque token. */
  page(tenantId: string, filter: IncidentListFilter, limit: number, continuation?: string): Promise<{ rows: IncidentListRow[]; continuation?: string }>;
}

export interface IncidentAuditReader {
  /** The tenant's events about one incident, newest first; `beforeSeq` continues a previous page. */
  forIncident(tenantId: string, incidentId: string, limit: number, beforeSeq?: number): Promise<{ events: AuditEvent[]; nextBeforeSeq?: number }>;
}
