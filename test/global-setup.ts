import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';
import { startLocalServices } from '../local/services.js';

/**
 * Integration tests share one Azurite and one Cosmos DB emulator, started here on free loopback
 * ports and stopped by PID at the end. Tests isolate themselves by database name and tenant id.
 */
declare module 'vitest' {
  export interface ProvidedContext {
    services: { storageConnectionString: string; blobEndpoint: string; cosmosEndpoint: string; dataDir: string };
  }
}

export default async function setup(project: TestProject) {
  const dataDir = await mkdtemp(join(tmpdir(), 'bystander-it-'));
  const services = await startLocalServices({ dataDir });
  project.provide('services', {
    storageConnectionString: services.storageConnectionString,
    blobEndpoint: services.blobEndpoint,
    cosmosEndpoint: services.cosmosEndpoint,
    dataDir,
  });
  return async () => {
    await services.stop();
    for (const pid of services.pids) {
      try {
        process.kill(pid, 0);
        process.kill(pid, 'SIGKILL');
      } catch {
        // already gone
      }
    }
    await rm(dataDir, { recursive: true, force: true });
  };
}
