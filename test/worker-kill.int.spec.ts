import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { Stack } from '../local/stack.js';
import { processAlive } from '../shared/adapters/process-alive.js';
import { ensureDemoClip } from './fixtures/media/generate.js';
import { client, incidentBody, sha256, testStack } from './helpers.js';
import { processTree } from './listening-sockets.js';
import { startWorkerLoop } from './worker-loop.js';

/** Every file under these folders whose bytes hash to `digest`: what someone with the disk would look for. */
async function filesWithDigest(dirs: string[], digest: string): Promise<string[]> {
  const found: string[] = [];
  for (const dir of dirs) {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const e of entries) {
      if (!e.isFile()) continue;
      const path = join(e.parentPath, e.name);
      const bytes = await readFile(path).catch(() => undefined);
      if (bytes && createHash('sha256').update(bytes).digest('hex') === digest) found.push(path);
    }
  }
  return found;
}

const cmdline = (pid: number) => readFile(`/proc/${pid}/cmdline`, 'utf8').then((s) => s.split('\0')).catch(() => [] as string[]);

let stack: Stack;
beforeAll(async () => {
  stack = await testStack('kill9', { worker: false });
});
afterAll(async () => stack?.stop());

describe('a redaction worker killed with -9 mid-job (issue 14)', () => {
  it('leaves no copy of the unredacted original; the next worker sweeps the dead one’s folder at start and republishes', async () => {
    const api = client(stack, await stack.devToken(['uploader', 'investigator']));
    const dataDir = stack.config.BYSTANDER_DATA_DIR;
    const tmpDir = join(dataDir, 'tmp');
    const clip = await ensureDemoClip(join(dataDir, 'samples'));
    const bytes = await readFile(clip.path);
    const digest = sha256(bytes);
    const created = await api.createIncident(incidentBody([{ fileName: 'a.mp4', contentType: 'video/mp4', sizeBytes: bytes.length, sha256: digest }]));
    const slot = created.body.uploads[0];
    await api.upload(slot, bytes);
    await api.waitFor(created.body.incident.id, slot.evidenceId, ['processing']);

    // The worker process as it runs in Azure (worker/main.ts), sharing this stack's storage and keys.
    const worker = spawn(process.execPath, ['--import', import.meta.resolve('tsx'), join(import.meta.dirname, '..', 'worker', 'main.ts')], {
      env: {
        ...process.env,
        STORAGE_CONNECTION_STRING: inject('services').storageConnectionString,
        BYSTANDER_DATA_DIR: dataDir,
        WORKER_MAX_IDLE_SECONDS: '0',
        WORKER_VISIBILITY_SECONDS: '30',
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    worker.stderr!.on('data', (b: Buffer) => (stderr += b.toString()));
    // Mid-job: its decoder of the source is running.
    let decoder: number | undefined;
    for (let i = 0; i < 600 && decoder === undefined; i++) {
      if (worker.exitCode !== null) throw new Error(`the worker exited: ${stderr}`);
      for (const pid of processTree(worker.pid!).slice(1)) if ((await cmdline(pid)).includes('rawvideo') && (await cmdline(pid)).includes('-i')) decoder = pid;
      if (decoder === undefined) await new Promise((r) => setTimeout(r, 100));
    }
    expect(decoder).toBeDefined();
    const folders = (await readdir(tmpDir)).filter((n) => n.startsWith('redaction-'));
    expect(folders).toHaveLength(1);
    worker.kill('SIGKILL');
    // Its orphaned decoder ends at its next write to the dead pipe.
    for (let i = 0; i < 100 && processAlive(decoder!); i++) await new Promise((r) => setTimeout(r, 100));
    expect(processAlive(decoder!)).toBe(false);

    expect(await filesWithDigest([tmpDir, '/dev/shm'], digest)).toEqual([]);
    // The folder the dead worker could not remove (its redacted partial output, if any) is still there…
    expect((await readdir(tmpDir)).filter((n) => n.startsWith('redaction-'))).toEqual(folders);

    // …until the next worker starts; the job comes back once its lease lapses and is published once.
    const next = await startWorkerLoop(stack);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      expect((await readdir(tmpDir)).filter((n) => folders.includes(n))).toEqual([]);
      const evidence = await api.waitFor(created.body.incident.id, slot.evidenceId, ['published', 'quarantined'], 180_000);
      expect(evidence.status).toBe('published');
    } finally {
      await next.stop();
    }
    expect(await filesWithDigest([tmpDir, '/dev/shm'], digest)).toEqual([]);
  });
});
