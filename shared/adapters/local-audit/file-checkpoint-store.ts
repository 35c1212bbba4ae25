import { mkdir, open, readFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { CheckpointSchema, type Checkpoint, type CheckpointStore } from '../../audit/checkpoint.js';

/**
 * Checkpoints locally: one JSON line each in an append-only file (0600), fsynced. The local
 * stand-in for the stamp's immutable (WORM) checkpoint container: it is kept apart from the chain
 * (the emulator and its snapshot), which is what lets verify see a chain that lost its tail;
 * unlike Blob immutability it does not stop someone with the machine's files from editing it.
 */
export class FileCheckpointStore implements CheckpointStore {
  private writes: Promise<unknown> = Promise.resolve();

  constructor(readonly file: string) {}

  async put(checkpoint: Checkpoint): Promise<void> {
    const valid = CheckpointSchema.parse(checkpoint);
    const run = this.writes.then(async () => {
      if ((await this.all()).some((c) => c.tenantId === valid.tenantId && c.seq === valid.seq)) return;
      await mkdir(dirname(this.file), { recursive: true });
      const fh = await open(this.file, 'a', 0o600);
      try {
        await fh.appendFile(`${JSON.stringify(valid)}\n`, 'utf8');
        await fh.datasync();
      } finally {
        await fh.close();
      }
    });
    this.writes = run.catch(() => undefined);
    return run;
  }

  async list(tenantId: string): Promise<Checkpoint[]> {
    return (await this.all()).filter((c) => c.tenantId === tenantId).sort((a, b) => a.seq - b.seq);
  }

  async latest(tenantId: string): Promise<Checkpoint | undefined> {
    return (await this.list(tenantId)).at(-1);
  }

  async tenants(): Promise<string[]> {
    return [...new Set((await this.all()).map((c) => c.tenantId))].sort();
  }

  private async all(): Promise<Checkpoint[]> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
      throw err;
    }
    // A torn last line (crash mid-write) is not a checkpoint; anything else unreadable is an error.
    const lines = text.split('\n').filter(Boolean);
    return lines.flatMap((line, i) => {
      try {
        return [CheckpointSchema.parse(JSON.parse(line))];
      } catch (err) {
        if (i === lines.length - 1 && !text.endsWith('\n')) return [];
        throw new Error(`audit checkpoints: line ${i + 1} of ${this.file} is not a checkpoint`, { cause: err });
      }
    });
  }
}
