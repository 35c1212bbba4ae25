/**
 * In-memory FAKES of the BlobStore and MessageQueue ports, for unit tests of the job handler and
 * loop only. They are not adapters: the real ones (Azure SDK against Azure/Azurite) live in
 * shared/adapters and are covered by the integration tests.
 */
import { Readable } from 'node:stream';
import { type BlobProperties, type BlobStore, ConflictError, type MessageQueue, NotFoundError, type QueueMessage } from '../../shared/ports/index.js';

interface StoredBlob {
  data: Buffer;
  properties: BlobProperties;
}

export class InMemoryFakeBlobStore implements BlobStore {
  readonly blobs = new Map<string, StoredBlob>();
  private etag = 0;

  async upload(container: string, name: string, body: Readable | Buffer, options: { contentType?: string; metadata?: Record<string, string>; createOnly?: boolean } = {}) {
    const key = `${container}/${name}`;
    if (options.createOnly && this.blobs.has(key)) throw new ConflictError(`${key} exists`);
    const chunks: Buffer[] = [];
    if (Buffer.isBuffer(body)) chunks.push(body);
    else for await (const c of body as AsyncIterable<Buffer>) chunks.push(c);
    const etag = `"${++this.etag}"`;
    this.blobs.set(key, {
      data: Buffer.concat(chunks),
      properties: { size: chunks.reduce((n, c) => n + c.length, 0), contentType: options.contentType, metadata: { ...options.metadata }, etag, createdOn: new Date() },
    });
    return { etag };
  }

  async download(container: string, name: string) {
    const b = this.blobs.get(`${container}/${name}`);
    if (!b) throw new NotFoundError(`${container}/${name}`);
    return { stream: Readable.from([b.data]), properties: b.properties };
  }

  async getProperties(container: string, name: string) {
    return this.blobs.get(`${container}/${name}`)?.properties;
  }

  async delete(container: string, name: string) {
    return this.blobs.delete(`${container}/${name}`);
  }

  async *list(container: string, prefix: string) {
    for (const [k, v] of this.blobs) if (k.startsWith(`${container}/${prefix}`)) yield { name: k.slice(container.length + 1), size: v.properties.size };
  }

  async createUploadUrl(container: string, name: string): Promise<string> {
    return `memory://${container}/${name}`;
  }
}

export class InMemoryFakeQueue implements MessageQueue {
  readonly queues = new Map<string, QueueMessage[]>();
  readonly extended: string[] = [];
  private seq = 0;
  onExtend?: () => void;

  async send(queue: string, body: unknown) {
    const q = this.queues.get(queue) ?? [];
    q.push({ id: `m${++this.seq}`, popReceipt: 'p0', dequeueCount: 0, body: typeof body === 'string' ? body : JSON.stringify(body) });
    this.queues.set(queue, q);
  }

  async receive(queue: string, options: { max: number; visibilityTimeoutSeconds: number }) {
    const q = this.queues.get(queue) ?? [];
    return q.slice(0, options.max).map((m) => {
      m.dequeueCount++;
      m.popReceipt = `p${++this.seq}`;
      return { ...m };
    });
  }

  async extend(queue: string, message: QueueMessage) {
    const m = (this.queues.get(queue) ?? []).find((x) => x.id === message.id);
    if (!m || m.popReceipt !== message.popReceipt) throw new Error('pop receipt mismatch');
    m.popReceipt = `p${++this.seq}`;
    this.extended.push(message.id);
    this.onExtend?.();
    return m.popReceipt;
  }

  async delete(queue: string, message: Pick<QueueMessage, 'id' | 'popReceipt'>) {
    const q = this.queues.get(queue) ?? [];
    const i = q.findIndex((x) => x.id === message.id);
    if (i < 0 || q[i]!.popReceipt !== message.popReceipt) throw new Error('pop receipt mismatch');
    q.splice(i, 1);
  }

  messages(queue: string): unknown[] {
    return (this.queues.get(queue) ?? []).map((m) => JSON.parse(m.body) as unknown);
  }
}
