import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../shared/adapters/console-logger.js';
import { startStack } from '../local/stack.js';
import { client, incidentBody } from './helpers.js';

describe('the local stack (npm start) on its own services', () => {
  it('keeps records across a restart in its data folder (the Cosmos emulator itself is in memory)', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bystander-restart-'));
    const first = await startStack({ dataDir, port: 0, worker: false, logger: silentLogger });
    let incidentId: string;
    try {
      const created = await client(first, await first.devToken()).createIncident(incidentBody([{ fileName: 'a.mp4', contentType: 'video/mp4', sizeBytes: 10 }]));
      expect(created.status).toBe(201);
      incidentId = created.body.incident.id;
    } finally {
      await first.stop();
    }
    const second = await startStack({ dataDir, port: 0, worker: false, logger: silentLogger });
    try {
      const read = await client(second, await second.devToken()).getIncident(incidentId);
      expect(read.status).toBe(200);
      expect(read.body.description).toBe('Items taken from aisle 4 without payment');
    } finally {
      await second.stop();
    }
  });
});
