import { randomUUID } from 'node:crypto';
import type { CosmosClient } from '@azure/cosmos';
import type { AuditInput, AuditSink, Clock } from '../../ports/index.js';

export const AUDIT_CONTAINER = 'audit';

/** Append-only audit events in their own Cosmos container (pk /tenantId). */
export function createAuditSink(client: CosmosClient, database: string, clock: Clock): AuditSink {
  const container = client.database(database).container(AUDIT_CONTAINER);
  return {
    async record(event: AuditInput) {
      await container.items.create({ id: randomUUID(), at: clock.now().toISOString(), ...event });
    },
  };
}
