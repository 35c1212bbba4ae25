import type { Container, CosmosClient } from '@azure/cosmos';
import { ConflictError } from '../../ports/index.js';
import { AuditEventSchema, type AuditEvent } from '../../audit/event.js';
import type { AuditPage, AuditStore, ChainHead } from '../../audit/store.js';

const SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts', '_lsn'];

/**
 * AuditStore over the Cosmos DB `audit` container (pk /tenantId).
 *
 * Compare-and-set without a transactional batch: an event's id is derived from its seq
 * (`ae-000000000042`), so two writers racing for the same seq collide on the create (409) and one
 * of them retries. The head is the event with the highest seq; `expected` is honoured because the
 * only event that can follow head N is seq N+1, and creating it fails once it exists. Events are
 * never updated or deleted through this store.
 */
export class CosmosAuditStore implements AuditStore {
  private readonly container: Container;

  constructor(client: CosmosClient, database: string, containerName = 'audit') {
    this.container = client.database(database).container(containerName);
  }

  async head(tenantId: string): Promise<ChainHead | undefined> {
    const { resources } = await this.container.items
      .query<{ seq: number; hash: string }>(
        { query: 'SELECT TOP 1 c.seq, c.hash FROM c WHERE c.tenantId = @t AND IS_DEFINED(c.seq) ORDER BY c.seq DESC', parameters: [{ name: '@t', value: tenantId }] },
        { partitionKey: tenantId },
      )
      .fetchAll();
    const top = resources[0];
    return top ? { seq: top.seq, hash: top.hash } : undefined;
  }

  async append(event: AuditEvent, expected: ChainHead | undefined): Promise<ChainHead> {
    if (event.seq !== (expected?.seq ?? 0) + 1) throw new ConflictError('audit seq is not the successor of the expected head');
    try {
      await this.container.items.create(AuditEventSchema.parse(event));
    } catch (err) {
      if ((err as { code?: number }).code === 409) throw new ConflictError('audit chain head moved');
      throw err;
    }
    return { seq: event.seq, hash: event.hash };
  }

  /** Every tenant's chain starts at seq 1 (read-only, cross-partition). */
  async tenants(): Promise<string[]> {
    const { resources } = await this.container.items.query<{ tenantId: unknown }>('SELECT c.tenantId FROM c WHERE c.seq = 1').fetchAll();
    return [...new Set(resources.map((r) => r.tenantId).filter((t): t is string => typeof t === 'string'))].sort();
  }

  async list(tenantId: string, fromSeq: number, limit: number): Promise<AuditPage> {
    const { resources } = await this.container.items
      .query<Record<string, unknown>>(
        {
          // TOP takes a validated integer literal (the emulator does not support OFFSET/LIMIT).
          query: `SELECT TOP ${Math.max(1, Math.min(10_000, Math.floor(limit))) + 1} * FROM c WHERE c.tenantId = @t AND c.seq >= @from ORDER BY c.seq ASC`,
          parameters: [
            { name: '@t', value: tenantId },
            { name: '@from', value: fromSeq },
          ],
        },
        { partitionKey: tenantId },
      )
      .fetchAll();
    const events = resources
      .filter((r) => r.tenantId === tenantId)
      .map((r) => {
        const clean = { ...r };
        for (const f of SYSTEM_FIELDS) delete clean[f];
        return clean as AuditEvent; // returned as stored: verification, not parsing, judges integrity
      });
    const page = events.slice(0, limit);
    const more = events.length > limit;
    return { events: page, ...(more ? { nextSeq: page.at(-1)!.seq + 1 } : {}) };
  }
}
