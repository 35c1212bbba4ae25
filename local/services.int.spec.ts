import { mkdtemp } from 'node:fs/promises';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startLocalServices } from './services.js';

/**
 * freePort probes a port and lets it go; another process may take it before Azurite binds it
 * (another test file starting its own emulators, an outgoing connection's ephemeral port). Here the
 * race is made certain: the first port handed out is held by a listener of the test's own.
 */
describe('the embedded services when a probed port is taken before they bind it', () => {
  let holder: net.Server;
  let held: number;

  beforeAll(async () => {
    holder = net.createServer();
    await new Promise<void>((r) => holder.listen(0, '127.0.0.1', () => r()));
    held = (holder.address() as net.AddressInfo).port;
  });
  afterAll(() => new Promise<void>((r) => holder.close(() => r())));

  it('start again on fresh ports, and say so', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bystander-services-'));
    let first = true;
    const pickPort = async () => (first ? ((first = false), held) : freePort());
    const lines: string[] = [];
    const services = await startLocalServices({ dataDir, pickPort, log: (l) => lines.push(l) });
    try {
      expect(services.blobEndpoint).not.toContain(`:${held}/`);
      const res = await fetch(`${services.blobEndpoint}?comp=list`);
      expect(res.status).toBeLessThan(500); // Azurite answers on the fresh port
      expect(lines.join('\n')).toMatch(new RegExp(String.raw`Azurite exited with code 1 before it was listening: [\s\S]*EADDRINUSE[^\n]*:${held}[\s\S]*trying fresh ports \(attempt 2 of 5\)`));
    } finally {
      await services.stop();
    }
  });

  it('on a port the caller chose, fail with what the service said', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'bystander-services-'));
    await expect(startLocalServices({ dataDir, blobPort: held })).rejects.toThrow(
      new RegExp(String.raw`Azurite exited with code 1 before it was listening: [\s\S]*EADDRINUSE[^\n]*:${held}`),
    );
  });
});
