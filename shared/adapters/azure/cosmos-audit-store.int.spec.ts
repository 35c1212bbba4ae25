import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { cosmosClient, ensureCosmos } from './cosmos-store.js';
import { CosmosAuditStore } from './cosmos-audit-store.js';
import { createChainedAuditSink } from './audit-sink.js';
import { AuditLog } from '../../audit/audit-log.js';
import { verifyStoredChain } from '../../audit/verify.js';
import { COSMOS_EMULATOR_KEY } from '../../../local/services.js';

const client = () => cosmosClient({ endpoint: inject('services').cosmosEndpoint, key: COSMOS_EMULATOR_KEY });
const DB = 'it-audit';

beforeAll(async () => {
  await ensureCosmos(client(), DB, ['audit']);
});

const originKey = { id: 'k1', key: Buffer.alloc(32, 3) };

describe('tamper-evident audit trail on Cosmos DB', () => {
  it('chains events per tenant and verifies; concurrent writers from two processes keep one chain', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const a = createChainedAuditSink(new AuditLog(new CosmosAuditStore(client(), DB)), originKey);
    const b = createChainedAuditSink(new AuditLog(new CosmosAuditStore(client(), DB)), originKey);
    await Promise.all(
      Array.from({ length: 12 }, (_, i) =>
        (i % 2 ? a : b).record({ tenantId: tenant, actor: { type: 'user', id: `u-${i}`, role: 'investigator' }, action: 'incident.read', target: { incidentId: `inc-${i}` }, outcome: 'allowed', origin: '203.0.113.7' }),
      ),
    );
    const result = await verifyStoredChain(new CosmosAuditStore(client(), DB), tenant);
    expect(result).toMatchObject({ ok: true, count: 12 });
  });

  it('stores no IP address and no free text: origin is a keyed HMAC, reasons are codes, odd ids are replaced', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const sink = createChainedAuditSink(new AuditLog(new CosmosAuditStore(client(), DB)), originKey);
    await sink.record({ tenantId: tenant, actor: { type: 'user', id: 'u-1' }, action: 'incident.read', target: { incidentId: 'not an id <script>' }, outcome: 'denied', origin: '198.51.100.23', reason: 'Not found in tenant' });
    const { events } = await new CosmosAuditStore(client(), DB).list(tenant, 1, 10);
    const text = JSON.stringify(events);
    expect(text).not.toContain('198.51.100.23');
    expect(events[0]!.origin.ip).toEqual({ hmac: expect.stringMatching(/^[A-Za-z0-9_-]{22}$/), keyId: 'k1' });
    expect(events[0]!.reason).toBe('not-found-in-tenant');
    expect(events[0]!.target.incidentId).toBe('invalid-id');
  });

  it('detects tampering with one stored event at that event', async () => {
    const tenant = `t-${randomUUID().slice(0, 8)}`;
    const sink = createChainedAuditSink(new AuditLog(new CosmosAuditStore(client(), DB)), originKey);
    for (let i = 0; i < 5; i++) await sink.record({ tenantId: tenant, actor: { type: 'system', id: 'pipeline' }, action: 'evidence.published', target: { evidenceId: `e-${i}` }, outcome: 'succeeded' });
    const container = client().database(DB).container('audit');
    const { resource } = await container.item('ae-000000000003', tenant).read();
    await container.item('ae-000000000003', tenant).replace({ ...resource, outcome: 'failed' });
    const result = await verifyStoredChain(new CosmosAuditStore(client(), DB), tenant);
    expect(result).toMatchObject({ ok: false, brokenAt: 3 });
  });

  it('a failed write throws, so the caller refuses the action', async () => {
    const broken = createChainedAuditSink(new AuditLog(new CosmosAuditStore(client(), 'no-such-database')), originKey);
    await expect(broken.record({ tenantId: 't', actor: { type: 'system', id: 'x' }, action: 'incident.create', target: {}, outcome: 'succeeded' })).rejects.toThrow(/audit/);
  });
});
