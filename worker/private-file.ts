import { constants } from 'node:fs';
import { type FileHandle, open, statfs, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { randomUUID } from 'node:crypto';

/**
 * Where a job keeps its copy of the unredacted source: a file without a name.
 *
 * On Linux it is created with O_TMPFILE — it never has a directory entry — on memory-backed storage
 * (/dev/shm, tmpfs) when that has room for twice the source, otherwise in the job's folder on disk.
 * The process reaches it only through its own descriptor, as `/proc/<pid>/fd/<n>`, a path that
 * ffprobe, ffmpeg and sharp open like any other. The kernel frees it when the last descriptor
 * closes: at the end of the job, and equally when the process is killed (kill -9, OOM, a replica
 * stopped), so a crash cannot leave the original behind — nothing to find by name, and on the
 * memory-backed path nothing ever written to a disk.
 *
 * Elsewhere (no /proc, or a filesystem without O_TMPFILE) it is a named file in the job's folder,
 * which the job removes on every exit path and the worker's start-up sweep removes after a crash.
 */
export interface PrivateFile {
  /** A path that opens this file (for child processes too). */
  readonly path: string;
  /** True when the file has no name (freed by the kernel when the process ends). */
  readonly unnamed: boolean;
  /** True when it is on memory-backed storage. */
  readonly inMemory: boolean;
  readonly handle: FileHandle;
  close(): Promise<void>;
}

// O_TMPFILE is (__O_TMPFILE | O_DIRECTORY); __O_TMPFILE is 0o20000000 on x86-64 and arm64 Linux.
const O_TMPFILE = 0o20000000 | constants.O_DIRECTORY;
export const MEMORY_DIR = '/dev/shm';
const TMPFS_MAGIC = 0x01021994;

async function memoryRoom(dir: string): Promise<number> {
  try {
    const s = await statfs(dir);
    return s.type === TMPFS_MAGIC ? s.bavail * s.bsize : 0;
  } catch {
    return 0;
  }
}

async function unnamedIn(dir: string): Promise<FileHandle | undefined> {
  if (process.platform !== 'linux') return undefined;
  try {
    return await open(dir, O_TMPFILE | constants.O_RDWR, 0o600);
  } catch {
    return undefined; // filesystem without O_TMPFILE support
  }
}

/**
 * Creates the private file for a source of `expectedBytes` (unknown: on disk). `memoryDir: null`
 * never uses memory-backed storage.
 */
export async function createPrivateFile(jobDir: string, expectedBytes: number | undefined, memoryDir: string | null = MEMORY_DIR): Promise<PrivateFile> {
  const close = (h: FileHandle, after?: () => Promise<void>) => async () => {
    await h.close().catch(() => undefined);
    await after?.();
  };
  if (memoryDir && expectedBytes !== undefined && (await memoryRoom(memoryDir)) >= 2 * expectedBytes) {
    const h = await unnamedIn(memoryDir);
    if (h) return { path: `/proc/${process.pid}/fd/${h.fd}`, unnamed: true, inMemory: true, handle: h, close: close(h) };
  }
  const h = await unnamedIn(jobDir);
  if (h) return { path: `/proc/${process.pid}/fd/${h.fd}`, unnamed: true, inMemory: false, handle: h, close: close(h) };
  const path = join(jobDir, `source-${randomUUID()}`);
  const named = await open(path, 'wx+', 0o600);
  return { path, unnamed: false, inMemory: false, handle: named, close: close(named, () => unlink(path).catch(() => undefined)) };
}
