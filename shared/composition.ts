import { randomBytes, randomUUID } from 'node:crypto';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';
import { ConfigError, loadConfig, type Config } from './config/config.js';
import { IncidentRecordSchema, CONTAINERS, QUEUES } from './domain/incident.js';
import { createScreener } from './domain/screening.js';
import { AzureBlobStore } from './adapters/azure/blob-store.js';
import { AzureMessageQueue } from './adapters/azure/message-queue.js';
import { CosmosDocumentStore, cosmosClient, ensureCosmos } from './adapters/azure/cosmos-store.js';
import { consoleLogger } from './adapters/console-logger.js';
import { sealedIncidentStore } from './adapters/sealed-incident-store.js';
import { KeyVaultKeyWrapper } from './adapters/keyvault/key-vault-key-wrapper.js';
import { LocalKeyWrapper } from './adapters/local-keys/local-key-wrapper.js';
import { DataKeyService, type KeyWrapper } from './crypto/key-wrapper.js';
import { createAuditSink, AUDIT_CONTAINER } from './adapters/azure/audit-sink.js';
import { CosmosAuditStore } from './adapters/azure/cosmos-audit-store.js';
import { BlobCheckpointStore } from './adapters/azure/blob-checkpoint-store.js';
import { JournaledAuditStore } from './adapters/local-audit/journaled-audit-store.js';
import { FileCheckpointStore } from './adapters/local-audit/file-checkpoint-store.js';
import type { AuditStore } from './audit/store.js';
import type { CheckpointStore } from './audit/checkpoint.js';
import type { CosmosClient } from '@azure/cosmos';
import type { BlobStore } from './ports/index.js';
import { DevTokenIssuer, createTokenVerifier, remoteKeys, type TokenVerifier } from './auth/tokens.js';
import type { Deps } from './usecases/deps.js';
import type { Clock, Logger } from './ports/index.js';
import { ShareLinkRecordSchema, ShareRecordSchema } from './domain/share.js';
import { createNotifier } from './adapters/notify/index.js';
import { AccessCoalescer, DenialCoalescer, InvalidAttemptLimiter } from './usecases/share-guards.js';
import { EXPORTS_CONTAINER, IncidentVersionSchema, PURGE_QUEUE, PrivacyRequestRecordSchema } from './domain/lifecycle.js';
import { DEFAULT_RETENTION_POLICY } from './retention/policy.js';
import { cosmosDueIndex } from './adapters/azure/cosmos-store.js';
import { WebhookEndpointRecordSchema } from './webhooks/endpoint.js';
import { WEBHOOK_EVENTS_POISON_QUEUE, WEBHOOK_EVENTS_QUEUE, WebhookEventRecordSchema } from './webhooks/events.js';
import { webhookEventAudit } from './usecases/webhooks.js';
import { KeyVaultSecretStore } from './adapters/keyvault/key-vault-secret-store.js';
import { LocalSecretStore } from './adapters/local-keys/local-secret-store.js';
import { httpWebhookSender, webhookUrlGuard } from './adapters/webhooks/http-sender.js';
import type { SecretStore, WebhookSender, WebhookUrlGuard } from './ports/webhooks.js';
import type { DocumentStore } from './ports/index.js';
import type { WebhookEndpointRecord } from './webhooks/endpoint.js';
import type { WebhookEventRecord } from './webhooks/events.js';
import type { UploadStorage } from './ports/uploads.js';
import { invocationLogger } from './telemetry/invocation.js';
import { outcomeMetricsAudit } from './telemetry/audit-metrics.js';
import { KeyUnavailableError } from './crypto/errors.js';
import { cosmosIncidentAuditReader, cosmosIncidentIndex } from './adapters/azure/cosmos-console-queries.js';
import type { IncidentAuditReader, IncidentIndex } from './ports/console.js';
import { TenantSettingsRecordSchema, type TenantSettingsRecord } from './domain/tenant-settings.js';
import { makeReadReviewRule } from './usecases/review.js';
import type { ReadReviewRule } from './ports/review.js';

/**
 * The composition root: the one place that turns validated settings into adapters and use-case
 * dependencies. Functions, the local stack and the worker all start here.
 */
export interface App {
  deps: Deps;
  tokens: TokenVerifier;
  /** Local mode only: signs development tokens through the same verifier path. */
  devTokens?: DevTokenIssuer;
  /** The audit chain's store and the checkpoints of its heads (checkpointed by a timer). */
  auditTrail: AuditTrail;
  /** Retailer event webhooks: endpoints, stored events, signing secrets, URL rules and the HTTP sender. */
  webhooks: WebhookPorts;
  /** Tenant settings chosen by each tenant's admins (the review rule), and the rule as read by the pipeline. */
  tenantSettings: { store: DocumentStore<TenantSettingsRecord>; readReviewRule: ReadReviewRule };
  /** Resumable uploads: upload URLs and the blocks staged for a slot (the blob store). */
  uploadStorage: UploadStorage;
  health(): Promise<Record<string, { ok: boolean; detail?: string }>>;
  /** Redaction jobs waiting in the queue, and how long the oldest has waited. */
  redactionBacklog(): Promise<{ messages: number; oldestSeconds: number | null }>;
  /** The investigator console's reads: the incident list and an incident's audit trail. */
  console: ConsolePorts;
}

export interface ConsolePorts {
  incidentIndex: IncidentIndex;
  auditReader: IncidentAuditReader;
}

export const COSMOS_CONTAINERS = ['incidents', AUDIT_CONTAINER, 'shares', 'share-links', 'incidentVersions', 'privacyRequests', 'webhooks', 'webhook-events', 'tenant-settings'] as const;

export interface WebhookPorts {
  endpoints: DocumentStore<WebhookEndpointRecord>;
  events: DocumentStore<WebhookEventRecord>;
  secrets: SecretStore;
  guard: WebhookUrlGuard;
  sender: WebhookSender;
}

/** Webhook signing secrets: Key Vault secrets in Azure, files in the local key folder locally (as for the KEK). */
export function secretStoreFor(config: Pick<Config, 'KEYVAULT__uri' | 'KEYVAULT__clientId' | 'BYSTANDER_DATA_DIR'>): SecretStore {
  if (config.KEYVAULT__uri) return new KeyVaultSecretStore({ vaultUrl: config.KEYVAULT__uri, credential: credentialFor(config.KEYVAULT__clientId) });
  return new LocalSecretStore(join(config.BYSTANDER_DATA_DIR, 'keys', 'webhooks'));
}

function credentialFor(clientId: string | undefined): TokenCredential {
  return clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
}

export function storageAdapters(config: Pick<Config, 'STORAGE_CONNECTION_STRING' | 'STORAGE__blobServiceUri' | 'STORAGE__queueServiceUri' | 'STORAGE__clientId'>) {
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

/** Local mode only: a random 32-byte secret kept in the data folder (0600). */
async function localSecret(path: string): Promise<Buffer> {
  try {
    return Buffer.from((await readFile(path, 'utf8')).trim(), 'base64');
  } catch {
    const key = randomBytes(32);
    await mkdir(join(path, '..'), { recursive: true });
    await writeFile(path, key.toString('base64'), { mode: 0o600 });
    return key;
  }
}

/** The geography's key-encryption key: Key Vault in Azure, an RSA key file under the data folder locally. */
export function keyWrapperFor(config: Pick<Config, 'KEYVAULT__uri' | 'KEYVAULT__keyName' | 'KEYVAULT__clientId' | 'BYSTANDER_DATA_DIR'>): KeyWrapper {
  if (config.KEYVAULT__uri) {
    return new KeyVaultKeyWrapper({ vaultUrl: config.KEYVAULT__uri, keyName: config.KEYVAULT__keyName, credential: credentialFor(config.KEYVAULT__clientId) });
  }
  return new LocalKeyWrapper({ directory: join(config.BYSTANDER_DATA_DIR, 'keys', 'kek'), name: config.KEYVAULT__keyName });
}

export interface AuditTrail {
  store: AuditStore;
  checkpoints: CheckpointStore;
}

/**
 * The audit chain's store and its head checkpoints. Azure: Cosmos DB (durable when acknowledged),
 * checkpoints in the immutable `audit-checkpoints` container. Locally: the emulator (in memory)
 * behind an fsynced journal under the data folder, restored by createApp, and a checkpoint file.
 */
export function auditTrailFor(config: Pick<Config, 'BYSTANDER_MODE' | 'BYSTANDER_DATA_DIR' | 'COSMOS_DATABASE'>, cosmos: CosmosClient, blobs: BlobStore, logger?: Logger): AuditTrail {
  const store = new CosmosAuditStore(cosmos, config.COSMOS_DATABASE, AUDIT_CONTAINER);
  if (config.BYSTANDER_MODE === 'local') {
    const dir = join(config.BYSTANDER_DATA_DIR, 'audit');
    return { store: new JournaledAuditStore(store, join(dir, 'journal.ndjson'), logger), checkpoints: new FileCheckpointStore(join(dir, 'checkpoints.ndjson')) };
  }
  return { store, checkpoints: new BlobCheckpointStore(blobs) };
}

export async function createApp(
  config: Config = loadConfig(),
  overrides: { clock?: Clock; logger?: Logger; /** Local stack: its URL once listening (share links). */ publicBaseUrl?: () => string } = {},
): Promise<App> {
  // Inside a Functions invocation every entry carries its invocation id (and the trace); in Azure it goes through the invocation context.
  const logger = invocationLogger(overrides.logger ?? consoleLogger('bystander'), { toInvocation: config.BYSTANDER_MODE === 'azure' });
  const clock = overrides.clock ?? { now: () => new Date() };
  const { blobs, queue } = storageAdapters(config);
  const cosmos = cosmosClient({
    endpoint: config.COSMOS__accountEndpoint,
    ...(config.COSMOS_KEY ? { key: config.COSMOS_KEY } : { credential: credentialFor(config.COSMOS__clientId) }),
  });

  if (config.BYSTANDER_MODE === 'local') {
    // Azure resources come from Bicep; the embedded stack creates its own.
    await blobs.ensureContainers([...Object.values(CONTAINERS), EXPORTS_CONTAINER]);
    await queue.ensureQueues([...Object.values(QUEUES), PURGE_QUEUE, WEBHOOK_EVENTS_QUEUE, WEBHOOK_EVENTS_POISON_QUEUE]);
    await ensureCosmos(cosmos, config.COSMOS_DATABASE, COSMOS_CONTAINERS);
    // The console uploads from the browser straight to Azurite (another port, so another origin).
    // Azurite listens on loopback only; in Azure the stamp's Bicep allows the stamp's own origin.
    await blobs.allowBrowserUploads(['*']);
  }

  let tokens: TokenVerifier;
  let devTokens: DevTokenIssuer | undefined;
  if (config.BYSTANDER_MODE === 'local') {
    devTokens = await DevTokenIssuer.load(config.AUTH_DEV_KEY_DIR!, config.AUTH__issuer, config.AUTH__audience);
    tokens = createTokenVerifier({ issuer: config.AUTH__issuer, audience: config.AUTH__audience, keys: devTokens.keys() });
  } else {
    tokens = createTokenVerifier({ issuer: config.AUTH__issuer, audience: config.AUTH__audience, keys: remoteKeys(config.AUTH__jwksUri!) });
  }

  const auditTrail = auditTrailFor(config, cosmos, blobs, logger);
  // Locally: events the emulator lost in a crash come back from the journal before anything is recorded.
  if (auditTrail.store instanceof JournaledAuditStore) await auditTrail.store.restore();
  const keyWrapper = keyWrapperFor(config);
  const dataKeys = new DataKeyService(keyWrapper, { clock, logger });
  const strictWebhooks = config.BYSTANDER_MODE === 'azure';
  const webhooks: WebhookPorts = {
    endpoints: new CosmosDocumentStore(cosmos, config.COSMOS_DATABASE, 'webhooks', WebhookEndpointRecordSchema),
    events: new CosmosDocumentStore(cosmos, config.COSMOS_DATABASE, 'webhook-events', WebhookEventRecordSchema),
    secrets: secretStoreFor(config),
    guard: webhookUrlGuard(strictWebhooks),
    sender: httpWebhookSender({ strict: strictWebhooks }),
  };
  const settingsStore = new CosmosDocumentStore(cosmos, config.COSMOS_DATABASE, 'tenant-settings', TenantSettingsRecordSchema);
  const tenantSettings = { store: settingsStore, readReviewRule: makeReadReviewRule(settingsStore, config) };
  const deps: Deps = {
    config,
    blobs,
    queue,
    dataKeys,
    incidents: sealedIncidentStore(new CosmosDocumentStore(cosmos, config.COSMOS_DATABASE, 'incidents', IncidentRecordSchema), dataKeys),
    // Audited actions that retailers may hear about also publish a webhook event (after the audit write).
    // …and evidence outcomes are counted for the operator's metrics.
    audit: outcomeMetricsAudit(webhookEventAudit(
      createAuditSink(auditTrail.store, clock, logger, {
        id: config.AUDIT_ORIGIN_KEY_ID,
        key: config.AUDIT_ORIGIN_KEY ? Buffer.from(config.AUDIT_ORIGIN_KEY, 'base64') : await localSecret(join(config.AUTH_DEV_KEY_DIR!, 'audit-origin.key')),
      }),
      { events: webhooks.events, endpoints: webhooks.endpoints, queue, clock, logger },
    )),
    clock,
    logger,
    screener: createScreener(config.SCREENING_EXTRA_TERMS),
    newId: () => randomUUID(),
    sharing: {
      shares: new CosmosDocumentStore(cosmos, config.COSMOS_DATABASE, 'shares', ShareRecordSchema),
      links: new CosmosDocumentStore(cosmos, config.COSMOS_DATABASE, 'share-links', ShareLinkRecordSchema),
      notifier: createSharingNotifier(config, logger, clock),
      publicBaseUrl: () => config.PUBLIC_BASE_URL ?? overrides.publicBaseUrl?.() ?? 'http://localhost:7071',
      webhooks: !!config.SHARE_WEBHOOK_SECRET,
      limiter: new InvalidAttemptLimiter(clock),
      mediaAudit: new AccessCoalescer(clock),
      denials: new DenialCoalescer(clock),
    },
    lifecycle: {
      versions: new CosmosDocumentStore(cosmos, config.COSMOS_DATABASE, 'incidentVersions', IncidentVersionSchema),
      privacyRequests: new CosmosDocumentStore(cosmos, config.COSMOS_DATABASE, 'privacyRequests', PrivacyRequestRecordSchema),
      dueIndex: cosmosDueIndex(cosmos, config.COSMOS_DATABASE, 'incidents'),
      // Per-tenant policies: the documented default until a validated setting exists (see shared/retention).
      retentionPolicy: (tenantId: string) =>
        config.RETENTION_POLICIES?.tenants[tenantId] ?? config.RETENTION_POLICIES?.default ?? DEFAULT_RETENTION_POLICY,
    },
  };

  return {
    deps,
    tokens,
    uploadStorage: blobs,
    auditTrail,
    ...(devTokens ? { devTokens } : {}),
    webhooks,
    tenantSettings,
    console: {
      incidentIndex: cosmosIncidentIndex(cosmos, config.COSMOS_DATABASE),
      auditReader: cosmosIncidentAuditReader(cosmos, config.COSMOS_DATABASE),
    },
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
        // The KEK's current version (cached by the wrapper for 5 minutes); the detail is a reason code, never the vault's address.
        keyVault: await check(() =>
          keyWrapper.currentKeyId().catch((err: unknown) => {
            throw new Error(err instanceof KeyUnavailableError ? `key service: ${err.reason}` : 'key service unavailable');
          }),
        ),
      };
    },
    redactionBacklog: () => queue.backlog(QUEUES.jobs, clock.now()),
  };
}

/** Police notifications: ACS Email (+ signed webhooks) in Azure, the outbox under the data folder locally. */
function createSharingNotifier(config: Config, logger: Logger, clock: Clock) {
  if (config.BYSTANDER_MODE === 'azure') {
    if (!config.PUBLIC_BASE_URL) throw new ConfigError('Bystander cannot start: invalid settings\n  - PUBLIC_BASE_URL: required in azure mode (the host of share links)');
    if (!config.ACS_EMAIL__endpoint || !config.ACS_EMAIL_SENDER) {
      throw new ConfigError('Bystander cannot start: invalid settings\n  - ACS_EMAIL__endpoint / ACS_EMAIL_SENDER: required in azure mode (police notifications)');
    }
  }
  return createNotifier(
    {
      mode: config.BYSTANDER_MODE,
      outboxDir: join(config.BYSTANDER_DATA_DIR, 'outbox'),
      ...(config.ACS_EMAIL__endpoint && config.ACS_EMAIL_SENDER
        ? { acs: { endpoint: config.ACS_EMAIL__endpoint, sender: config.ACS_EMAIL_SENDER, credential: credentialFor(config.ACS_EMAIL__clientId) } }
        : {}),
      ...(config.SHARE_WEBHOOK_SECRET ? { webhookSecret: config.SHARE_WEBHOOK_SECRET } : {}),
    },
    logger,
    () => clock.now(),
  );
}
