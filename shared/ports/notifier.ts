/**
 * Notifier port: how Bystander tells people about shares. Messages carry the link, its expiry and
 * the incident reference only: no personal data about the incident, no images.
 *
 * Adapters: Azure Communication Services Email (Azure), an HMAC-signed webhook for agencies that
 * integrate, and locally an outbox (files under the data folder plus a log line).
 */

/** The link to a police officer (and the agency's webhook when it has one). */
export interface ShareLinkNotification {
  kind: 'share-link';
  tenantId: string;
  shareId: string;
  incidentRef: string;
  /** The full link including the token: a credential, never logged. */
  link: string;
  expiresAt: string;
  to: { email: string; webhookUrl?: string };
}

/** Tells the sharer that a share ended without their action (expired, or the link could not be delivered). */
export interface ShareEndedNotification {
  kind: 'share-ended';
  tenantId: string;
  shareId: string;
  incidentRef: string;
  reason: 'expired' | 'notification-failed';
  at: string;
  /** Opaque id of the sharer; the e-mail address only when they asked to be told by e-mail. */
  to: { sharerId: string; email?: string };
}

export type Notification = ShareLinkNotification | ShareEndedNotification;

export interface Notifier {
  /** Delivers on every channel the message names; throws when any channel fails (callers retry). */
  send(message: Notification): Promise<void>;
  /** Removes anything kept about a share's notifications (the local outbox); returns how many items. */
  forget?(tenantId: string, shareId: string): Promise<number>;
}

export class NotificationError extends Error {
  override name = 'NotificationError';
}
