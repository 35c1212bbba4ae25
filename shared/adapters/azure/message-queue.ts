import { QueueServiceClient } from '@azure/storage-queue';
import type { TokenCredential } from '@azure/identity';
import type { MessageQueue, QueueMessage } from '../../ports/index.js';

/**
 * MessageQueue over @azure/storage-queue. Bodies are JSON, base64-encoded: the Functions queue
 * trigger's default `messageEncoding` (host.json) is base64.
 */
export class AzureMessageQueue implements MessageQueue {
  private constructor(private readonly service: QueueServiceClient) {}

  static fromConnectionString(connectionString: string): AzureMessageQueue {
    return new AzureMessageQueue(QueueServiceClient.fromConnectionString(connectionString));
  }

  static fromServiceUri(uri: string, credential: TokenCredential): AzureMessageQueue {
    return new AzureMessageQueue(new QueueServiceClient(uri, credential));
  }

  async ensureQueues(names: readonly string[]): Promise<void> {
    for (const name of names) await this.service.getQueueClient(name).createIfNotExists();
  }

  /** Reachability check for health: reads one queue's properties. */
  async ping(): Promise<void> {
    await this.service.getQueueClient('redaction-jobs').getProperties();
  }

  /** Backlog for health: approximate message count and the age of the oldest visible message. */
  async backlog(queue: string, now: Date = new Date()): Promise<{ messages: number; oldestSeconds: number | null }> {
    const client = this.service.getQueueClient(queue);
    const props = await client.getProperties();
    const [oldest] = (await client.peekMessages({ numberOfMessages: 1 })).peekedMessageItems;
    return {
      messages: props.approximateMessagesCount ?? 0,
      oldestSeconds: oldest?.insertedOn ? Math.max(0, Math.round((now.getTime() - oldest.insertedOn.getTime()) / 1000)) : null,
    };
  }

  async send(queue: string, body: unknown, options: { visibilityTimeoutSeconds?: number } = {}): Promise<void> {
    const text = Buffer.from(JSON.stringify(body), 'utf8').toString('base64');
    await this.service.getQueueClient(queue).sendMessage(text, {
      visibilityTimeout: options.visibilityTimeoutSeconds,
      messageTimeToLive: 7 * 24 * 3600,
    });
  }

  async receive(queue: string, options: { max: number; visibilityTimeoutSeconds: number }): Promise<QueueMessage[]> {
    const res = await this.service.getQueueClient(queue).receiveMessages({
      numberOfMessages: options.max,
      visibilityTimeout: options.visibilityTimeoutSeconds,
    });
    return res.receivedMessageItems.map((m) => ({
      id: m.messageId,
      popReceipt: m.popReceipt,
      dequeueCount: m.dequeueCount,
      body: decode(m.messageText),
      insertedOn: m.insertedOn,
    }));
  }

  async extend(queue: string, message: QueueMessage, visibilityTimeoutSeconds: number): Promise<string> {
    const res = await this.service
      .getQueueClient(queue)
      .updateMessage(message.id, message.popReceipt, undefined, visibilityTimeoutSeconds);
    return res.popReceipt ?? message.popReceipt;
  }

  async delete(queue: string, message: Pick<QueueMessage, 'id' | 'popReceipt'>): Promise<void> {
    await this.service.getQueueClient(queue).deleteMessage(message.id, message.popReceipt);
  }
}

/** Accepts base64 (our writers) and plain JSON (hand-written messages). */
export function decode(text: string): string {
  const trimmed = text.trim();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) return trimmed;
  return Buffer.from(trimmed, 'base64').toString('utf8');
}
