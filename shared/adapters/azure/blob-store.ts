import {
  BlobSASPermissions,
  BlobServiceClient,
  SASProtocol,
  StorageSharedKeyCredential,
  generateBlobSASQueryParameters,
  type UserDelegationKey,
} from '@azure/storage-blob';
import type { TokenCredential } from '@azure/identity';
import { Readable } from 'node:stream';
import { NotFoundError, type BlobProperties, type BlobStore } from '../../ports/index.js';

function isStatus(err: unknown, status: number): boolean {
  return typeof err === 'object' && err !== null && (err as { statusCode?: number }).statusCode === status;
}

/**
 * Permissions of an upload URL. Azure: "c" only — the holder can create this one blob (Put Blob, or
 * Put Block + Put Block List for a resumable browser upload: service version 2026-04-06, which this
 * SDK signs, lets Create cover those), never read, list, overwrite or delete it. Azurite (API
 * 2025-11-05) still demands Write for Put Block and Put Block List, so its account-key SAS adds "w";
 * the console commits with If-None-Match: *, and what is accepted is pinned at BlobCreated by size
 * and SHA-256 (the worker refuses a source whose hash differs).
 */
export function uploadSasPermissions(target: 'azure' | 'emulator'): string {
  return target === 'azure' ? 'c' : 'cw';
}

/**
 * BlobStore over @azure/storage-blob. Production: managed identity + user-delegation SAS.
 * Local: Azurite via connection string (account-key SAS, which Azurite supports over HTTP).
 */
export class AzureBlobStore implements BlobStore {
  private delegationKey: { key: UserDelegationKey; expiresOn: Date } | undefined;

  private constructor(
    private readonly service: BlobServiceClient,
    private readonly sharedKey: StorageSharedKeyCredential | undefined,
  ) {}

  static fromConnectionString(connectionString: string): AzureBlobStore {
    const service = BlobServiceClient.fromConnectionString(connectionString);
    const credential = service.credential instanceof StorageSharedKeyCredential ? service.credential : undefined;
    return new AzureBlobStore(service, credential);
  }

  static fromServiceUri(uri: string, credential: TokenCredential): AzureBlobStore {
    return new AzureBlobStore(new BlobServiceClient(uri, credential), undefined);
  }

  async ensureContainers(names: readonly string[]): Promise<void> {
    for (const name of names) await this.service.getContainerClient(name).createIfNotExists();
  }

  async upload(
    container: string,
    name: string,
    body: Readable | Buffer,
    options: { contentType?: string; metadata?: Record<string, string>; createOnly?: boolean } = {},
  ): Promise<{ etag: string }> {
    const blob = this.service.getContainerClient(container).getBlockBlobClient(name);
    const common = {
      blobHTTPHeaders: options.contentType ? { blobContentType: options.contentType } : undefined,
      metadata: options.metadata,
      conditions: options.createOnly ? { ifNoneMatch: '*' } : undefined,
    };
    const res = Buffer.isBuffer(body)
      ? await blob.uploadData(body, common)
      : await blob.uploadStream(body, 4 * 1024 * 1024, 4, common);
    return { etag: res.etag ?? '' };
  }

  async download(
    container: string,
    name: string,
    range?: { offset: number; count?: number },
  ): Promise<{ stream: Readable; properties: BlobProperties }> {
    const blob = this.service.getContainerClient(container).getBlobClient(name);
    try {
      const res = await blob.download(range?.offset ?? 0, range?.count);
      const stream = res.readableStreamBody as Readable | undefined;
      if (!stream) throw new Error('blob download returned no body');
      return {
        stream,
        properties: {
          size: range ? Number(res.contentRange?.split('/')[1] ?? res.contentLength ?? 0) : (res.contentLength ?? 0),
          contentType: res.contentType,
          metadata: res.metadata ?? {},
          etag: res.etag ?? '',
          createdOn: res.createdOn,
        },
      };
    } catch (err) {
      if (isStatus(err, 404)) throw new NotFoundError(`blob ${container}/${name} not found`);
      throw err;
    }
  }

  async getProperties(container: string, name: string): Promise<BlobProperties | undefined> {
    try {
      const p = await this.service.getContainerClient(container).getBlobClient(name).getProperties();
      return { size: p.contentLength ?? 0, contentType: p.contentType, metadata: p.metadata ?? {}, etag: p.etag ?? '', createdOn: p.createdOn };
    } catch (err) {
      if (isStatus(err, 404)) return undefined;
      throw err;
    }
  }

  async delete(container: string, name: string): Promise<boolean> {
    const res = await this.service
      .getContainerClient(container)
      .getBlobClient(name)
      .deleteIfExists({ deleteSnapshots: 'include' });
    return res.succeeded;
  }

  /**
   * Deletes every blob under `prefix` with its snapshots, then any previous versions (accounts with
   * blob versioning keep the deleted current blob as a version). Soft-deleted blobs cannot be removed
   * through the API: their retention window is set on the account (crypto-shredding makes them
   * unreadable meanwhile). Emulators without versioning: the version pass is skipped.
   */
  async deleteTree(container: string, prefix: string): Promise<Array<{ name: string; versionId?: string }>> {
    const client = this.service.getContainerClient(container);
    const removed: Array<{ name: string; versionId?: string }> = [];
    const names = new Set<string>();
    for await (const item of client.listBlobsFlat({ prefix })) names.add(item.name);
    for (const name of names) {
      const res = await client.getBlobClient(name).deleteIfExists({ deleteSnapshots: 'include' });
      if (res.succeeded) removed.push({ name });
    }
    try {
      for await (const item of client.listBlobsFlat({ prefix, includeVersions: true })) {
        if (!item.versionId || item.isCurrentVersion) continue;
        const res = await client.getBlobClient(item.name).withVersion(item.versionId).deleteIfExists();
        if (res.succeeded) removed.push({ name: item.name, versionId: item.versionId });
      }
    } catch (err) {
      if (!isStatus(err, 400) && !isStatus(err, 501)) throw err; // versioning not supported here
    }
    return removed;
  }

  async *list(container: string, prefix: string): AsyncIterable<{ name: string; size: number }> {
    for await (const item of this.service.getContainerClient(container).listBlobsFlat({ prefix })) {
      yield { name: item.name, size: item.properties.contentLength ?? 0 };
    }
  }

  async createUploadUrl(container: string, name: string, expiresOn: Date): Promise<string> {
    const blob = this.service.getContainerClient(container).getBlobClient(name);
    const startsOn = new Date(Date.now() - 60_000);
    const permissions = BlobSASPermissions.parse(uploadSasPermissions(this.sharedKey ? 'emulator' : 'azure'));
    if (this.sharedKey) {
      const sas = generateBlobSASQueryParameters(
        { containerName: container, blobName: name, permissions, startsOn, expiresOn },
        this.sharedKey,
      ).toString();
      return `${blob.url}?${sas}`;
    }
    const key = await this.userDelegationKey(expiresOn);
    const sas = generateBlobSASQueryParameters(
      { containerName: container, blobName: name, permissions, startsOn, expiresOn, protocol: SASProtocol.Https },
      key,
      this.service.accountName,
    ).toString();
    return `${blob.url}?${sas}`;
  }

  /** Blocks staged for a block blob and not yet committed (Get Block List with the app's identity). */
  async stagedBlocks(container: string, name: string): Promise<{ committed: boolean; blocks: Array<{ id: string; size: number }> }> {
    const blob = this.service.getContainerClient(container).getBlockBlobClient(name);
    if (await blob.exists()) return { committed: true, blocks: [] };
    try {
      const list = await blob.getBlockList('uncommitted');
      return { committed: false, blocks: (list.uncommittedBlocks ?? []).map((b) => ({ id: b.name, size: b.size })) };
    } catch (err) {
      if (isStatus(err, 404)) return { committed: false, blocks: [] };
      throw err;
    }
  }

  /**
   * Lets browsers on `origins` PUT blocks to upload URLs (blob service CORS). The local stack sets
   * it for its own console origin; in Azure the stamp's Bicep sets the same rule on the account.
   */
  async allowBrowserUploads(origins: string[]): Promise<void> {
    await this.service.setProperties({
      cors: [
        {
          allowedOrigins: origins.join(','),
          allowedMethods: 'PUT',
          allowedHeaders: 'content-type,content-length,x-ms-blob-type,x-ms-blob-content-type,x-ms-version,x-ms-client-request-id,if-none-match,x-ms-content-crc64,content-md5',
          exposedHeaders: 'etag,x-ms-request-id,x-ms-error-code',
          maxAgeInSeconds: 600,
        },
      ],
    });
  }

  private async userDelegationKey(until: Date): Promise<UserDelegationKey> {
    const cached = this.delegationKey;
    if (cached && cached.expiresOn.getTime() > until.getTime() + 60_000) return cached.key;
    const startsOn = new Date(Date.now() - 60_000);
    const expiresOn = new Date(Date.now() + 6 * 3600_000);
    const key = await this.service.getUserDelegationKey(startsOn, expiresOn);
    this.delegationKey = { key, expiresOn };
    return key;
  }
}
