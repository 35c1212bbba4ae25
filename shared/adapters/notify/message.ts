import type { Notification } from '../../ports/notifier.js';

/** Human-readable UTC time, e.g. "2026-11-25 14:05 UTC". */
export function utcText(iso: string): string {
  return `${new Date(iso).toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

/**
 * The text of a notification. Only the link, the expiry and the incident reference appear: no
 * description, no store, no names, no images.
 */
export function renderMessage(n: Notification): { subject: string; text: string } {
  if (n.kind === 'share-link') {
    return {
      subject: `Redacted evidence shared with you (incident reference ${n.incidentRef})`,
      text: [
        `Redacted evidence for incident reference ${n.incidentRef} has been shared with you.`,
        '',
        `Open it here: ${n.link}`,
        '',
        `The link expires at ${utcText(n.expiresAt)}. Every access is logged. Do not forward this message;`,
        'the person who shared it can withdraw the link at any time.',
      ].join('\n'),
    };
  }
  const why = n.reason === 'expired' ? 'expired' : 'could not be delivered to the recipient, so the link was never usable';
  return {
    subject: `Share ${n.shareId} for incident reference ${n.incidentRef} has ${n.reason === 'expired' ? 'expired' : 'failed'}`,
    text: `Your share ${n.shareId} of evidence for incident reference ${n.incidentRef} ${why} (${utcText(n.at)}).`,
  };
}
