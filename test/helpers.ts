import { createHash } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { inject } from 'vitest';
import { silentLogger } from '../shared/adapters/console-logger.js';
import { startStack, type Stack, type StackOptions } from '../local/stack.js';
export { ShiftedClock } from './clock.js';

/** A local stack on the shared Azurite + Cosmos emulator, on a free port, with its own database. */
export async function testStack(name: string, options: Partial<StackOptions> = {}): Promise<Stack> {
  const dataDir = await mkdtemp(join(tmpdir(), `bystander-${name}-`));
  return startStack({
    dataDir,
    port: 0,
    services: inject('services'),
    logger: process.env.BYSTANDER_TEST_LOGS ? undefined : silentLogger,
    pollMs: 200,
    ...options,
    settings: { COSMOS_DATABASE: `it-${name}`, ...options.settings },
  });
}

export const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

export interface Slot {
  evidenceId: string;
  url: string;
  headers: Record<string, string>;
}

export function client(stack: Stack, token: string) {
  const auth = { authorization: `Bearer ${token}` };
  return {
    async createIncident(body: unknown) {
      const res = await fetch(`${stack.url}/api/incidents`, {
        method: 'POST',
        headers: { ...auth, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      return { status: res.status, body: (await res.json()) as any };
    },
    async getIncident(id: string) {
      const res = await fetch(`${stack.url}/api/incidents/${id}`, { headers: auth });
      return { status: res.status, body: (await res.json()) as any };
    },
    async content(incidentId: string, evidenceId: string, headers: Record<string, string> = {}) {
      return fetch(`${stack.url}/api/incidents/${incidentId}/evidence/${evidenceId}/content`, { headers: { ...auth, ...headers } });
    },
    async upload(slot: Slot, bytes: Buffer) {
      return fetch(slot.url, { method: 'PUT', headers: slot.headers, body: bytes });
    },
    /** Polls until the evidence reaches one of `statuses` (pumping events each time). */
    async waitFor(incidentId: string, evidenceId: string, statuses: string[], timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs;
      let last: any;
      while (Date.now() < deadline) {
        await stack.pump();
        const { body } = await this.getIncident(incidentId);
        last = body.evidence?.find((e: any) => e.id === evidenceId);
        if (last && statuses.includes(last.status)) return last;
        await new Promise((r) => setTimeout(r, 250));
      }
      throw new Error(`evidence ${evidenceId} did not reach ${statuses.join('/')} (last: ${last?.status})`);
    },
  };
}

export function incidentBody(evidence: Array<Record<string, unknown>>, extra: Record<string, unknown> = {}) {
  return {
    storeId: 'store-42',
    occurredAt: new Date(Date.now() - 3600_000).toISOString(), // an hour ago, whatever the date
    category: 'theft',
    description: 'Items taken from aisle 4 without payment',
    evidence,
    ...extra,
  };
}
