import { randomUUID } from 'node:crypto';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { loadConfig, type Config } from './config/config.js';
import { IncidentRecordSchema, CONTAINERS, QUEUES } from './domain/incident.js';
import { createScreener } from './domain/screening.js';
import { AzureBlobStore } from './adapters/azure/blob-store.js';
import { AzureMessageQueue } from './adapters/azure/message-queue.js';
import { CosmosDocumentStore, cosmosClient, ensureCosmos } from './adapters/azure/cosmos-store.js';
import { consoleLogger } from './adapters/console-logger.js';
import { createAuditSink, AUDIT_CONTAINER } from './adapters/azure/audit-sink.js';
import { DevTokenIssuer, createTokenVerifier, remoteKeys, type TokenVerifier } from './auth/tokens.js';
import type { Deps } from './usecases/deps.js';
import type { Clock, Logger } from './ports/index.js';

/**
 * The composition root: the one place that turns validated settings into adapters and use-case
 * dependencies. Functions, the local stack and the worker all start here.
 */
export interface App {
  deps: Deps;
  tokens: TokenVerifier;
  /** Local mode only: signs development tokens through the same verifier path. */
  devTokens?: DevTokenIssuer;
  health(): Promise<Record<string, { ok: boolean; detail?: string }>>;
}

export const COSMOS_CONTAINERS = ['incidents', AUDIT_CONTAINER] as const;

function credentialFor(clientId: string | undefined): TokenCredential {
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

export function storageAdapters(config: Config) {
  if (config.STORAGE_CONNECTION_STRING) {
    return {
      blobs: AzureBlobStore.fromConnectionString(config.STORAGE_CONNECTION_STRING),
      queue: AzureMessageQueue.fromConnectionString(config.STORAGE_CONNECTION_STRING),
    };
  }
  const credential = credentialFor(config.STORAGE__clientId);
  return {
    blobs: AzureBlobStore.fromServiceUri(config.STORAGE__blobServiceUri!, credential),
    queue: AzureMessageQueue.fromServiceUri(config.STORAGE__queueServiceUri!, credential),
  };
}

export async function createApp(
  config: Config = loadConfig(),
  overrides: { clock?: Clock; logger?: Logger } = {},
): Promise<App> {
  const logger = overrides.logger ?? consoleLogger('bystander');
  const clock = overrides.clock ?? { now: () => new Date() };
  const { blobs, queue } = storageAdapters(config);
  const cosmos = cosmosClient({
    endpoint: config.COSMOS__accountEndpoint,
    ...(config.COSMOS_KEY ? { key: config.COSMOS_KEY } : { credential: credentialFor(config.COSMOS__clientId) }),
  });

  if (config.BYSTANDER_MODE === 'local') {
    // Azure resources come from Bicep; the embedded stack creates its own.
    await blobs.ensureContainers(Object.values(CONTAINERS));
    await queue.ensureQueues(Object.values(QUEUES));
    await ensureCosmos(cosmos, config.COSMOS_DATABASE, COSMOS_CONTAINERS);
  }

  let tokens: TokenVerifier;
  let devTokens: DevTokenIssuer | undefined;
  if (config.BYSTANDER_MODE === 'local') {
    devTokens = await DevTokenIssuer.load(config.AUTH_DEV_KEY_DIR!, config.AUTH__issuer, config.AUTH__audience);
    tokens = createTokenVerifier({ issuer: config.AUTH__issuer, audience: config.AUTH__audience, keys: devTokens.keys() });
  } else {
    tokens = createTokenVerifier({ issuer: config.AUTH__issuer, audience: config.AUTH__audience, keys: remoteKeys(config.AUTH__jwksUri!) });
  }

  const deps: Deps = {
    config,
    blobs,
    queue,
    incidents: new CosmosDocumentStore(cosmos, config.COSMOS_DATABASE, 'incidents', IncidentRecordSchema),
    audit: createAuditSink(cosmos, config.COSMOS_DATABASE, clock),
    clock,
    logger,
    screener: createScreener(config.SCREENING_EXTRA_TERMS),
    newId: () => randomUUID(),
  };

  return {
    deps,
    tokens,
    ...(devTokens ? { devTokens } : {}),
    async health() {
      const check = async (fn: () => Promise<unknown>) => {
        try {
          await fn();
          return { ok: true };
        } catch (err) {
          return { ok: false, detail: err instanceof Error ? err.message.slice(0, 200) : 'unavailable' };
        }
      };
      return {
        blobStorage: await check(() => blobs.getProperties(CONTAINERS.ingest, '__health__')),
        queueStorage: await check(() => queue.ping()),
        cosmos: await check(() => cosmos.database(config.COSMOS_DATABASE).read()),
      };
    },
  };
}
