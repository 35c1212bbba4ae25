import type { CosmosClient, SqlParameter } from '@azure/cosmos';
import { AUDIT_CONTAINER } from './audit-sink.js';
import type { AuditEvent } from '../../audit/event.js';
import type { IncidentAuditReader, IncidentIndex, IncidentListFilter, IncidentListRow } from '../../ports/console.js';

const SYSTEM_FIELDS = ['_rid', '_self', '_etag', '_attachments', '_ts', '_lsn'];

/**
 * The console's list query over the `incidents` container: tenantId in the WHERE clause (the
 * emulator ignores the partitionKey option; in Azure it is also the partition), filters as
 * parameters, newest first, and Cosmos DB's own continuation token for the next page. Rows are
 * projected to the minimised list fields and re-checked in memory.
 */
export function cosmosIncidentIndex(client: CosmosClient, database: string, containerName = 'incidents'): IncidentIndex {
  const container = client.database(database).container(containerName);
  return {
    async page(tenantId: string, filter: IncidentListFilter, limit: number, continuation?: string) {
      const clauses = ['c.tenantId = @t', 'NOT IS_DEFINED(c.deletingAt)'];
      const parameters: SqlParameter[] = [{ name: '@t', value: tenantId }];
      const add = (clause: string, name: string, value: string) => {
        clauses.push(clause);
        parameters.push({ name, value });
      };
      if (filter.storeId) add('c.storeId = @store', '@store', filter.storeId);
      if (filter.from) add('c.occurredAt >= @from', '@from', filter.from);
      if (filter.to) add('c.occurredAt < @to', '@to', filter.to);
      if (filter.category) add('c.category = @category', '@category', filter.category);
      if (filter.status) add('EXISTS(SELECT VALUE e FROM e IN c.evidence WHERE e.status = @status)', '@status', filter.status);
      const query = `SELECT c.id, c.tenantId, c.storeId, c.occurredAt, c.category, c.outcome, c.createdAt, c.evidence FROM c WHERE ${clauses.join(' AND ')} ORDER BY c.occurredAt DESC`;
      const response = await container.items
        .query<Record<string, unknown>>({ query, parameters }, { partitionKey: tenantId, maxItemCount: limit, ...(continuation ? { continuationToken: continuation } : {}) })
        .fetchNext();
      const rows: IncidentListRow[] = response.resources
        .filter((r) => r.tenantId === tenantId)
        .map((r) => ({
          id: String(r.id),
          storeId: String(r.storeId),
          occurredAt: String(r.occurredAt),
          category: r.category as IncidentListRow['category'],
          outcome: String(r.outcome),
          createdAt: String(r.createdAt),
          evidence: (Array.isArray(r.evidence) ? r.evidence : []).map((e: { id: string; status: IncidentListRow['evidence'][number]['status']; mediaKind: 'video' | 'image' }) => ({
            id: e.id,
            status: e.status,
            mediaKind: e.mediaKind,
          })),
        }));
      return { rows, ...(response.continuationToken ? { continuation: response.continuationToken } : {}) };
    },
  };
}

/** One incident's events in the tenant's audit chain (the `audit` container), newest first. */
export function cosmosIncidentAuditReader(client: CosmosClient, database: string, containerName = AUDIT_CONTAINER): IncidentAuditReader {
  const container = client.database(database).container(containerName);
  return {
    async forIncident(tenantId: string, incidentId: string, limit: number, beforeSeq?: number) {
      const top = Math.max(1, Math.min(500, Math.floor(limit))) + 1; // a validated integer literal (TOP takes no parameter)
      const clauses = ['c.tenantId = @t', 'IS_DEFINED(c.seq)', 'c.target.incidentId = @i', ...(beforeSeq ? ['c.seq < @before'] : [])];
      const parameters: SqlParameter[] = [
        { name: '@t', value: tenantId },
        { name: '@i', value: incidentId },
        ...(beforeSeq ? [{ name: '@before', value: beforeSeq }] : []),
      ];
      const { resources } = await container.items
        .query<Record<string, unknown>>({ query: `SELECT TOP ${top} * FROM c WHERE ${clauses.join(' AND ')} ORDER BY c.seq DESC`, parameters }, { partitionKey: tenantId })
        .fetchAll();
      const events = resources
        .filter((r) => r.tenantId === tenantId && (r.target as { incidentId?: string } | undefined)?.incidentId === incidentId)
        .map((r) => {
          const clean = { ...r };
          for (const f of SYSTEM_FIELDS) delete clean[f];
          return clean as unknown as AuditEvent;
        });
      const page = events.slice(0, top - 1);
      return { events: page, ...(events.length >= top ? { nextBeforeSeq: page.at(-1)!.seq } : {}) };
    },
  };
}
