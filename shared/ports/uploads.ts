import type { BlobProperties } from './index.js';
import type { StagedBlocks } from '../uploads/blocks.js';

/** What resumable uploads need from blob storage (AzureBlobStore implements it). */
export interface UploadStorage {
  /** A short-lived URL that can only create one blob (Put Blob, or Put Block + Put Block List). */
  createUploadUrl(container: string, name: string, expiresOn: Date): Promise<string>;
  /** Whether the blob is committed, and the blocks staged for it but not committed (Get Block List). */
  stagedBlocks(container: string, name: string): Promise<StagedBlocks>;
  getProperties(container: string, name: string): Promise<BlobProperties | undefined>;
}
