import { z } from 'zod';

/**
 * Resumable uploads put a file into its evidence slot as blocks (Put Block) and commit them in order
 * (Put Block List). The plan is a pure function of the file size, and a block's id is a function of
 * its index and content, so an interrupted upload resumes by skipping the blocks the service already
 * holds with the same id and size — a changed file changes the ids and nothing stale is committed.
 */

/** Azure Storage limits for a block blob. */
export const MAX_BLOCKS = 50_000;
export const MIN_BLOCK_BYTES = 4 * 1024 * 1024;
/** Our own ceiling: one block is held in memory while it is sent (far below the service's 4000 MiB). */
export const MAX_BLOCK_BYTES = 256 * 1024 * 1024;

/** 4 MiB blocks, doubled until the file fits in 50,000 of them. */
export function blockSizeFor(sizeBytes: number): number {
  let size = MIN_BLOCK_BYTES;
  while (Math.ceil(sizeBytes / size) > MAX_BLOCKS && size < MAX_BLOCK_BYTES) size *= 2;
  if (Math.ceil(sizeBytes / size) > MAX_BLOCKS) throw new Error(`a file of ${sizeBytes} bytes does not fit in ${MAX_BLOCKS} blocks of ${MAX_BLOCK_BYTES} bytes`);
  return size;
}

/** The byte ranges of a file of `sizeBytes` in blocks of `blockSize`. */
export function blockRanges(sizeBytes: number, blockSize: number): Array<{ index: number; offset: number; length: number }> {
  const out: Array<{ index: number; offset: number; length: number }> = [];
  for (let index = 0, offset = 0; offset < sizeBytes; index++, offset += blockSize) {
    out.push({ index, offset, length: Math.min(blockSize, sizeBytes - offset) });
  }
  return out;
}

/**
 * Block id: base64 of `<5-digit index>-<first 40 hex of the block's SHA-256>` (46 bytes, the same
 * length for every block of a blob, as the service requires).
 */
export function blockId(index: number, blockSha256Hex: string): string {
  if (!Number.isInteger(index) || index < 0 || index >= MAX_BLOCKS) throw new Error(`block index ${index} out of range`);
  if (!/^[0-9a-f]{64}$/.test(blockSha256Hex)) throw new Error('block hash must be a lower-case hex SHA-256');
  return Buffer.from(`${String(index).padStart(5, '0')}-${blockSha256Hex.slice(0, 40)}`, 'latin1').toString('base64');
}

export const StagedBlockSchema = z.strictObject({ id: z.string().max(128), size: z.number().int().min(0) });
/** What the service holds for a slot: whether the blob is committed, and the blocks staged but not committed. */
export const StagedBlocksSchema = z.strictObject({ committed: z.boolean(), blocks: z.array(StagedBlockSchema) });
export type StagedBlocks = z.infer<typeof StagedBlocksSchema>;
