import type { Config } from '../config/config.js';
import type { IncidentRecord } from '../domain/incident.js';
import type { Screener } from '../domain/screening.js';
import type { AuditSink, BlobStore, Clock, DocumentStore, Logger, MessageQueue } from '../ports/index.js';
import type { SharingDeps } from '../ports/sharing.js';
import type { DataKeyService } from '../crypto/key-wrapper.js';
import type { LifecycleDeps } from '../ports/lifecycle.js';

/** Everything the use cases need, built once by the composition root. */
export interface Deps {
  config: Config;
  blobs: BlobStore;
  queue: MessageQueue;
  /** Record store; sensitive fields are sealed with each incident's data key at rest. */
  incidents: DocumentStore<IncidentRecord>;
  /** Per-incident data keys, wrapped by the geography's KEK (fails closed with KeyUnavailableError). */
  dataKeys: DataKeyService;
  audit: AuditSink;
  clock: Clock;
  logger: Logger;
  screener: Screener;
  newId: () => string;
  /** Shares with police: records, link index, notifier, per-instance guards. */
  sharing: SharingDeps;
  /** Record lifecycle: versions, privacy requests, the due-date index, retention policies (optional so test fakes may omit it). */
  lifecycle?: LifecycleDeps;
}
