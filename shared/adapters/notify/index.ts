import type { Logger } from '../../ports/index.js';
import type { Notification, Notifier } from '../../ports/notifier.js';
import { AcsEmailSender } from './acs-email.js';
import { renderMessage } from './message.js';
import { OutboxNotifier } from './outbox.js';
import { WebhookNotifier } from './webhook.js';

export { AcsEmailSender } from './acs-email.js';
export { OutboxNotifier, readOutboxLink } from './outbox.js';
export { WebhookNotifier } from './webhook.js';
export { renderMessage } from './message.js';

/** Something that can deliver an e-mail-like message to an address. */
export interface EmailChannel {
  send(to: string, subject: string, plainText: string): Promise<void>;
}

/**
 * Routes a notification to its channels: e-mail to the officer (ACS in Azure) and, when the agency
 * integrates, its signed webhook. Locally the outbox stands in for e-mail. A message to a sharer
 * who gave no e-mail address is logged (ids only) and not sent.
 */
export class ChannelNotifier implements Notifier {
  constructor(
    private readonly channels: { email?: EmailChannel; webhook?: WebhookNotifier; outbox?: OutboxNotifier },
    private readonly logger: Logger,
  ) {}

  async send(n: Notification): Promise<void> {
    const { subject, text } = renderMessage(n);
    if (this.channels.outbox) await this.channels.outbox.send(n);
    if (n.to.email && this.channels.email) await this.channels.email.send(n.to.email, subject, text);
    if (n.kind === 'share-link' && n.to.webhookUrl) {
      if (this.channels.webhook) await this.channels.webhook.post(n.to.webhookUrl, n);
      else if (!this.channels.outbox) throw new Error('this stamp has no webhook secret configured');
    }
    if (!n.to.email && !this.channels.outbox) this.logger.info('sharer has no notification address; not sent', { kind: n.kind, shareId: n.shareId });
  }

  async forget(tenantId: string, shareId: string): Promise<number> {
    return (await this.channels.outbox?.forget(tenantId, shareId)) ?? 0;
  }
}

export interface NotifierSettings {
  mode: 'azure' | 'local';
  outboxDir?: string;
  acs?: { endpoint: string; sender: string; credential: import('@azure/identity').TokenCredential };
  webhookSecret?: string;
}

export function createNotifier(settings: NotifierSettings, logger: Logger, now: () => Date): ChannelNotifier {
  const webhook = settings.webhookSecret
    ? new WebhookNotifier({ secret: settings.webhookSecret, allowInsecure: settings.mode === 'local', logger, now })
    : undefined;
  if (settings.mode === 'local') {
    if (!settings.outboxDir) throw new Error('the local notifier needs an outbox folder');
    return new ChannelNotifier({ outbox: new OutboxNotifier(settings.outboxDir, logger, now), ...(webhook ? { webhook } : {}) }, logger);
  }
  if (!settings.acs) throw new Error('e-mail notifications need ACS_EMAIL__endpoint and ACS_EMAIL_SENDER');
  return new ChannelNotifier({ email: new AcsEmailSender({ ...settings.acs, logger }), ...(webhook ? { webhook } : {}) }, logger);
}
