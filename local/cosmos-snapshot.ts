import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import type { CosmosClient } from '@azure/cosmos';

/**
 * The Cosmos DB emulator keeps everything in memory. So that the local stack's records survive a
 * restart like its blobs do, the stack saves every container of its database to one JSON file
 * (periodically and on stop) and loads it back at start. Local convenience only.
 */
const SYSTEM = ['_rid', '_self', '_etag', '_attachments', '_ts', '_lsn'];

export async function saveSnapshot(client: CosmosClient, database: string, file: string): Promise<number> {
  const db = client.database(database);
  const { resources: containers } = await db.containers.readAll().fetchAll();
  const out: Record<string, unknown[]> = {};
  let count = 0;
  for (const c of containers) {
    const { resources } = await db.container(c.id).items.query('SELECT * FROM c').fetchAll();
    out[c.id] = resources.map((r) => {
      const clean = { ...r };
      for (const f of SYSTEM) delete clean[f];
      return clean;
    });
    count += resources.length;
  }
  await mkdir(dirname(file), { recursive: true });
  await writeFile(`${file}.tmp`, JSON.stringify(out), { mode: 0o600 });
  await rename(`${file}.tmp`, file);
  return count;
}

export async function loadSnapshot(client: CosmosClient, database: string, file: string): Promise<number> {
  let data: Record<string, Array<Record<string, unknown>>>;
  try {
    data = JSON.parse(await readFile(file, 'utf8'));
  } catch {
    return 0;
  }
  const db = client.database(database);
  let count = 0;
  for (const [id, docs] of Object.entries(data)) {
    await db.containers.createIfNotExists({ id, partitionKey: { paths: ['/tenantId'] } });
    for (const doc of docs) {
      await db.container(id).items.upsert(doc);
      count++;
    }
  }
  return count;
}
