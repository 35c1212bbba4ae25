import { CosmosClient, type Container, type ItemDefinition } from '@azure/cosmos';
import type { TokenCredential } from '@azure/identity';
import type { z } from 'zod';
import { ConflictError, type DocumentStore, type Versioned } from '../../ports/index.js';

const SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts', '_lsn'] as const;

function statusOf(err: unknown): number | undefined {
  return typeof err === 'object' && err !== null ? (err as { code?: number; statusCode?: number }).code ?? (err as { statusCode?: number }).statusCode : undefined;
}

export function cosmosClient(options: { endpoint: string; key?: string; credential?: TokenCredential }): CosmosClient {
  return options.key
    ? new CosmosClient({ endpoint: options.endpoint, key: options.key, connectionPolicy: { enableEndpointDiscovery: false } })
    : new CosmosClient({ endpoint: options.endpoint, aadCredentials: options.credential! });
}

/** Creates the database and containers if missing (local stack and tests; Bicep does it in Azure). */
export async function ensureCosmos(client: CosmosClient, database: string, containers: readonly string[]): Promise<void> {
  const { database: db } = await client.databases.createIfNotExists({ id: database });
  for (const id of containers) await db.containers.createIfNotExists({ id, partitionKey: { paths: ['/tenantId'] } });
}

/**
 * DocumentStore over one Cosmos DB container. Documents are parsed with their zod schema on the
 * way out (strict: anything not on the allowlist fails loudly instead of leaking through).
 * Queries always filter by tenantId in the WHERE clause (defence in depth on top of the partition).
 */
export class CosmosDocumentStore<T extends { id: string; tenantId: string }> implements DocumentStore<T> {
  private readonly container: Container;

  constructor(
    client: CosmosClient,
    database: string,
    containerName: string,
    private readonly schema: z.ZodType<T>,
  ) {
    this.container = client.database(database).container(containerName);
  }

  private parse(resource: ItemDefinition): Versioned<T> {
    const etag = String(resource._etag ?? '');
    const clean: Record<string, unknown> = { ...resource };
    for (const f of SYSTEM_FIELDS) delete clean[f];
    return { doc: this.schema.parse(clean), etag };
  }

  async create(doc: T): Promise<Versioned<T>> {
    const valid = this.schema.parse(doc);
    try {
      const res = await this.container.items.create(valid as ItemDefinition);
      return this.parse(res.resource!);
    } catch (err) {
      if (statusOf(err) === 409) throw new ConflictError(`document ${doc.id} exists`);
      throw err;
    }
  }

  async get(tenantId: string, id: string): Promise<Versioned<T> | undefined> {
    try {
      const res = await this.container.item(id, tenantId).read();
      if (!res.resource || res.resource.tenantId !== tenantId) return undefined;
      return this.parse(res.resource);
    } catch (err) {
      if (statusOf(err) === 404) return undefined;
      throw err;
    }
  }

  async replace(doc: T, etag: string): Promise<Versioned<T>> {
    const valid = this.schema.parse(doc);
    try {
      const res = await this.container
        .item(doc.id, doc.tenantId)
        .replace(valid as ItemDefinition, { accessCondition: { type: 'IfMatch', condition: etag } });
      return this.parse(res.resource!);
    } catch (err) {
      const s = statusOf(err);
      if (s === 412 || s === 404) throw new ConflictError(`document ${doc.id} changed or vanished`);
      throw err;
    }
  }

  async delete(tenantId: string, id: string): Promise<boolean> {
    try {
      await this.container.item(id, tenantId).delete();
      return true;
    } catch (err) {
      if (statusOf(err) === 404) return false;
      throw err;
    }
  }

  async find(tenantId: string, where: Partial<Record<keyof T & string, string | number | boolean>> = {}): Promise<T[]> {
    const entries = Object.entries(where).filter(([, v]) => v !== undefined);
    const clauses = ['c.tenantId = @tenantId', ...entries.map(([k], i) => `c.${safeField(k)} = @p${i}`)];
    const parameters = [{ name: '@tenantId', value: tenantId }, ...entries.map(([, v], i) => ({ name: `@p${i}`, value: v as string | number | boolean }))];
    const { resources } = await this.container.items
      .query({ query: `SELECT * FROM c WHERE ${clauses.join(' AND ')}`, parameters }, { partitionKey: tenantId })
      .fetchAll();
    return resources.filter((r) => r.tenantId === tenantId).map((r) => this.parse(r).doc);
  }
}

function safeField(name: string): string {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) throw new Error(`invalid field name ${name}`);
  return name;
}

/**
 * The retention sweeper's due-date index: the one cross-partition query in the app, read-only and
 * projecting ids only (`id`, `tenantId`). `deleteAfter` is a UTC ISO string, so string order is time
 * order. Results are re-checked in memory (the emulator's filtering is not to be trusted) and each
 * incident is re-read, tenant-scoped, before anything is deleted.
 */
export function cosmosDueIndex(client: CosmosClient, database: string, containerName = 'incidents') {
  const container = client.database(database).container(containerName);
  return {
    async findDue(before: Date, limit: number): Promise<Array<{ tenantId: string; incidentId: string }>> {
      const cutoff = before.toISOString();
      const { resources } = await container.items
        .query<{ id?: unknown; tenantId?: unknown; deleteAfter?: unknown }>({
          query: 'SELECT c.id, c.tenantId, c.deleteAfter FROM c WHERE c.deleteAfter <= @before',
          parameters: [{ name: '@before', value: cutoff }],
        })
        .fetchAll();
      return resources
        .filter((r): r is { id: string; tenantId: string; deleteAfter: string } => typeof r.id === 'string' && typeof r.tenantId === 'string' && typeof r.deleteAfter === 'string' && r.deleteAfter <= cutoff)
        .sort((a, b) => (a.deleteAfter < b.deleteAfter ? -1 : a.deleteAfter > b.deleteAfter ? 1 : 0))
        .slice(0, limit)
        .map((r) => ({ tenantId: r.tenantId, incidentId: r.id }));
    },
  };
}
