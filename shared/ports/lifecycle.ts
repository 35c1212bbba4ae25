import type { IncidentRef, IncidentVersion, PrivacyRequestRecord } from '../domain/lifecycle.js';
import type { RetentionPolicy } from '../retention/policy.js';
import type { DocumentStore } from './index.js';

/** Cross-partition, read-only index of due dates (Cosmos: a query on `deleteAfter` across tenants). */
export interface DueIndex {
  /** Incidents whose `deleteAfter` ≤ `before`, oldest first, at most `limit`. Ids only. */
  findDue(before: Date, limit: number): Promise<IncidentRef[]>;
}

/** What the record lifecycle (retention, holds, versions, privacy requests) needs besides the common deps. */
export interface LifecycleDeps {
  /** Superseded incident versions (container `incidentVersions`, pk /tenantId). */
  versions: DocumentStore<IncidentVersion>;
  /** Privacy requests (container `privacyRequests`, pk /tenantId). */
  privacyRequests: DocumentStore<PrivacyRequestRecord>;
  dueIndex: DueIndex;
  /** The tenant's retention policy (validated); the documented default unless configured. */
  retentionPolicy(tenantId: string): RetentionPolicy;
}

export function lifecycleOf(deps: { lifecycle?: LifecycleDeps }): LifecycleDeps {
  if (!deps.lifecycle) throw new Error('the record lifecycle (versions, privacy requests, due index) is not configured');
  return deps.lifecycle;
}
