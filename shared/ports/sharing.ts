import type { ShareLinkRecord, ShareRecord } from '../domain/share.js';
import type { AccessCoalescer, DenialCoalescer, InvalidAttemptLimiter } from '../usecases/share-guards.js';
import type { DocumentStore } from './index.js';
import type { Notifier } from './notifier.js';

/** What sharing with police needs besides the common deps: records, the link index, the notifier and per-instance guards. */
export interface SharingDeps {
  shares: DocumentStore<ShareRecord>;
  /** Token-hash → share index (see ShareLinkRecordSchema). */
  links: DocumentStore<ShareLinkRecord>;
  notifier: Notifier;
  /** Public base URL of the share page host (no trailing slash), e.g. https://evidence.example.com */
  publicBaseUrl: () => string;
  /** Whether this stamp can sign agency webhooks (SHARE_WEBHOOK_SECRET set). */
  webhooks: boolean;
  limiter: InvalidAttemptLimiter;
  mediaAudit: AccessCoalescer;
  /** Denials on known links: coalesced per share and window, written off the response path. */
  denials: DenialCoalescer;
}
