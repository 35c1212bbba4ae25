import { text } from 'node:stream/consumers';
import type { BlobStore } from '../../ports/index.js';
import { CheckpointSchema, type Checkpoint, type CheckpointStore } from '../../audit/checkpoint.js';

/** The stamp's checkpoint container: version-level immutability (WORM) set by infra/bicep (storage-account.bicep). */
export const AUDIT_CHECKPOINTS_CONTAINER = 'audit-checkpoints';

const nameOf = (c: Pick<Checkpoint, 'tenantId' | 'seq'>) => `${c.tenantId}/${String(c.seq).padStart(12, '0')}.json`;

/**
 * Checkpoints in Azure: one create-only blob per checkpoint, `<tenant>/<seq, 12 digits>.json`, in a
 * container whose blob versions are immutable for the audit retention period, so neither the app's
 * identity nor an administrator of the stamp can change or delete one until it expires.
 */
export class BlobCheckpointStore implements CheckpointStore {
  constructor(
    private readonly blobs: BlobStore,
    private readonly container = AUDIT_CHECKPOINTS_CONTAINER,
  ) {}

  async put(checkpoint: Checkpoint): Promise<void> {
    const valid = CheckpointSchema.parse(checkpoint);
    if (await this.blobs.getProperties(this.container, nameOf(valid))) return;
    await this.blobs.upload(this.container, nameOf(valid), Buffer.from(JSON.stringify(valid)), { contentType: 'application/json', createOnly: true });
  }

  async list(tenantId: string): Promise<Checkpoint[]> {
    const out: Checkpoint[] = [];
    for (const name of await this.names(tenantId)) out.push(await this.read(tenantId, name));
    return out.sort((a, b) => a.seq - b.seq);
  }

  async latest(tenantId: string): Promise<Checkpoint | undefined> {
    const last = (await this.names(tenantId)).sort().at(-1); // zero-padded seq: name order is seq order
    return last ? this.read(tenantId, last) : undefined;
  }

  private async names(tenantId: string): Promise<string[]> {
    const names: string[] = [];
    for await (const b of this.blobs.list(this.container, `${tenantId}/`)) names.push(b.name);
    return names;
  }

  private async read(tenantId: string, name: string): Promise<Checkpoint> {
    const { stream } = await this.blobs.download(this.container, name);
    const cp = CheckpointSchema.parse(JSON.parse(await text(stream)));
    if (cp.tenantId !== tenantId || nameOf(cp) !== name) throw new Error(`audit checkpoint ${name} does not match its name`);
    return cp;
  }

  async tenants(): Promise<string[]> {
    const tenants = new Set<string>();
    for await (const b of this.blobs.list(this.container, '')) tenants.add(b.name.slice(0, b.name.indexOf('/')));
    return [...tenants].sort();
  }
}
