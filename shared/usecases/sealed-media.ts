import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDecryptStream, decryptRangeStream, type RangeSource } from '../crypto/segmented-aead.js';
import { dataKeyRefFor } from '../crypto/key-wrapper.js';
import { NotFoundError } from '../ports/index.js';
import type { Deps } from './deps.js';

/**
 * Evidence media at rest is AES-256-GCM in fixed-size segments under the incident's data key
 * (see shared/crypto/segmented-aead.ts). These helpers are the only readers of it.
 */

/** The incident's unwrapped data key; fails closed (KeyUnavailableError) when the KEK is unusable. */
export async function incidentDataKey(deps: Pick<Deps, 'incidents' | 'dataKeys'>, tenantId: string, incidentId: string): Promise<Buffer> {
  const found = await deps.incidents.get(tenantId, incidentId);
  if (!found?.doc.dataKey) throw new NotFoundError(`incident ${incidentId} has no data key (deleted or shredded)`);
  return deps.dataKeys.open({ tenantId, incidentId }, found.doc.dataKey);
}

/** The wrapped key and header key ref a worker needs to seal an incident's outputs. */
export async function sealingFor(deps: Pick<Deps, 'incidents'>, tenantId: string, incidentId: string) {
  const found = await deps.incidents.get(tenantId, incidentId);
  if (!found?.doc.dataKey) throw new NotFoundError(`incident ${incidentId} has no data key`);
  return { keyRef: dataKeyRefFor({ tenantId, incidentId }), wrappedKey: found.doc.dataKey };
}

/** Byte-range reads of a blob, for ranged decryption. */
export function blobRangeSource(blobs: Deps['blobs'], container: string, name: string, size: number): RangeSource {
  return {
    size,
    async read(offset, length) {
      const { stream } = await blobs.download(container, name, { offset, count: length });
      const chunks: Buffer[] = [];
      for await (const c of stream) chunks.push(c as Buffer);
      return Buffer.concat(chunks);
    },
  };
}

/** Decrypts plaintext [offset, offset + count) of a sealed blob as a stream (only covering segments are read). */
export function openSealedRange(blobs: Deps['blobs'], container: string, name: string, storedBytes: number, key: Buffer, offset: number, count: number): Readable {
  return Readable.from(decryptRangeStream(blobRangeSource(blobs, container, name, storedBytes), key, offset, count));
}

/** SHA-256 and size of a sealed blob's plaintext, authenticating every segment on the way. */
export async function sha256OfSealedBlob(blobs: Deps['blobs'], container: string, name: string, key: Buffer): Promise<{ sha256: string; size: number; storedBytes: number }> {
  const { stream, properties } = await blobs.download(container, name);
  const hash = createHash('sha256');
  let size = 0;
  await pipeline(
    stream,
    createDecryptStream(key),
    new Writable({
      write(chunk: Buffer, _enc, cb) {
        hash.update(chunk);
        size += chunk.length;
        cb();
      },
    }),
  );
  return { sha256: hash.digest('hex'), size, storedBytes: properties.size };
}
