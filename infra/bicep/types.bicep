// Shared user-defined types for the Bystander stamp. Imported with `import { … } from './types.bicep'`.
// Everything a module needs arrives as one of these typed objects; no module takes free-form `object`.

metadata description = 'Bystander: exported types, the built-in role catalogue and naming helpers.'

// ---------------------------------------------------------------------------------------------
// Geography (one stamp per geography)
// ---------------------------------------------------------------------------------------------

@export()
@description('A jurisdiction served by one independent stamp. All data of the stamp stays in allowedRegions.')
type geographyType = {
  @description('Required. Lower-case geography name, e.g. "australia". Used in names, tags and BYSTANDER_GEOGRAPHY.')
  @minLength(2)
  @maxLength(16)
  name: string

  @description('Required. Short lower-case code (2-4 letters), used where resource names are length-limited.')
  @minLength(2)
  @maxLength(4)
  code: string

  @description('Required. Primary Azure region of the stamp. Must be one of allowedRegions.')
  primaryRegion: string

  @description('Optional. A second region inside the same geography for Cosmos DB failover. Must be one of allowedRegions.')
  secondaryRegion: string?

  @description('Required. Every Azure region the stamp may use; enforced by the built-in "Allowed locations" policy.')
  @minLength(1)
  allowedRegions: string[]

  @description('Optional. Address space of the stamp virtual network (a /22 or larger). Defaults to 10.60.0.0/22.')
  addressSpace: string?

  @description('Optional. CIDR ranges of the retailer upload systems allowed to reach the stamp storage account. Empty means SAS-gated uploads from anywhere.')
  uploadAllowedCidrs: string[]?

  @description('Optional. GPU profile of the redaction job in this geography (serverless GPU availability differs by region).')
  gpuProfile: gpuProfileType?

  @description('Optional. Email addresses that receive the stamp alerts.')
  alertEmails: string[]?

  @description('Optional. Region of the optional Azure AI Vision resource (Image Analysis 4.0 Read + People, the cloud plate detector): the nearest region of allowedRegions that offers Image Analysis 4.0. Unset where no region of the geography offers it; the feature then stays off for this geography (see infra/README.md).')
  visionRegion: string?

  @description('Required. Where Azure Communication Services (police e-mail notifications) keeps its data at rest. ACS offers geographies, not regions: choose the one that contains allowedRegions, and document any geography without its own ACS location (see infra/README.md).')
  communicationDataLocation: communicationDataLocationType
}

@export()
@description('Data locations offered by Azure Communication Services and Email Communication Services (data at rest).')
type communicationDataLocationType = 'Africa' | 'Asia Pacific' | 'Australia' | 'Brazil' | 'Canada' | 'Europe' | 'France' | 'Germany' | 'India' | 'Japan' | 'Korea' | 'Norway' | 'Switzerland' | 'UAE' | 'UK' | 'United States'

@export()
@description('Serverless GPU workload profile of the redaction job.')
type gpuProfileType = 'T4' | 'A100'

// ---------------------------------------------------------------------------------------------
// Settings shared by every stamp (main.bicep parameter)
// ---------------------------------------------------------------------------------------------

@export()
@description('Token issuer settings of the API (Entra ID or the retailer identity provider).')
type authSettingsType = {
  @description('Required. Expected `iss` of access tokens.')
  issuer: string

  @description('Required. Expected `aud` of access tokens.')
  audience: string

  @description('Required. JWKS endpoint used to validate token signatures.')
  jwksUri: string
}

@export()
@description('Settings that apply to every stamp deployed by one main.bicep deployment.')
type sharedSettingsType = {
  @description('Required. Token validation settings of the API.')
  auth: authSettingsType

  @description('Optional. CIDR ranges of known bad actors, denied at the function app front door of every stamp.')
  deniedCidrs: string[]?

  @description('Optional. Container image of the redaction worker (<registry>/<repository>:<tag>). Empty deploys a placeholder until the postdeploy hook pushes the real image to the stamp registry.')
  workerImage: string?

  @description('Optional. Upper bound of concurrent redaction job executions per stamp.')
  @minValue(1)
  @maxValue(100)
  maxRedactionExecutions: int?

  @description('Optional. Id of the audit origin HMAC key (AUDIT_ORIGIN_KEY_ID), lower-case letters, digits and dashes. The Key Vault secret is `audit-origin-key-<id>`; to rotate, choose a new id: the deploy hook creates the new secret and old pseudonyms keep their old id.')
  @minLength(1)
  @maxLength(48)
  auditOriginKeyId: string?

  @description('Optional. Sign agency webhooks: creates the `share-webhook-secret` Key Vault secret and sets SHARE_WEBHOOK_SECRET as a Key Vault reference. Off by default (e-mail only).')
  shareWebhooks: bool?

  @description('Optional. Plates by Azure AI Vision (Image Analysis 4.0 Read + People) instead of the local PP-OCR detector: deploys a Computer Vision account (S1, Entra ID only, private endpoint) in the geography\'s visionRegion and sets BYSTANDER_PLATE_DETECTOR=azure-vision on the redaction job. Off by default; ignored in geographies without a visionRegion. Frames leave the worker for the in-geography Vision resource (see infra/README.md).')
  azureVisionPlates: bool?

  @description('Optional. App pipeline settings; unset values keep the app defaults.')
  app: appTuningType?

  @description('Optional. Redaction worker loop settings; unset values keep the worker defaults.')
  worker: workerTuningType?

  @description('Optional. Image of the one-shot secrets bootstrap job (needs bash, curl, base64 and python3). Pin by digest for production.')
  bootstrapImage: string?

  @description('Optional. Log Analytics retention in days.')
  @minValue(30)
  @maxValue(730)
  logRetentionInDays: int?

  @description('Optional. Days a deleted blob or version stays recoverable. Bounded so that erasure completes within the retention promise.')
  @minValue(1)
  @maxValue(7)
  blobSoftDeleteDays: int?

  @description('Optional. Days after which unprocessed uploads in `ingest` are deleted as a safety net.')
  @minValue(1)
  @maxValue(7)
  ingestSafetyNetDays: int?

  @description('Optional. Days after which originals in `quarantine` are deleted (default 30).')
  @minValue(1)
  @maxValue(365)
  quarantineRetentionDays: int?

  @description('Optional. Days after which Cosmos DB deletes audit events by TTL: 0 (default) keeps TTL off, otherwise 365, 730, 1095, 1825, 2555 or 3650. Old audit prefixes are normally removed by the app, which keeps the chain anchor.')
  auditTtlDays: int?

  @description('Optional. Days after which privacy-request export bundles in `exports` are deleted (default 7, the app download window).')
  @minValue(1)
  @maxValue(30)
  exportRetentionDays: int?
}

@export()
@description('Tunable app settings (shared/config/config.ts); each maps to one app setting.')
type appTuningType = {
  @description('Optional. UPLOAD_URL_TTL_MINUTES: minutes an upload URL stays valid (1-15, app default 15).')
  @minValue(1)
  @maxValue(15)
  uploadUrlTtlMinutes: int?

  @description('Optional. REDACTION_TIMEOUT_MINUTES: minutes one redaction attempt may take before the pipeline retries (app default 60).')
  @minValue(1)
  @maxValue(1440)
  redactionTimeoutMinutes: int?

  @description('Optional. REDACTION_MAX_ATTEMPTS: attempts before evidence is quarantined (1-10, app default 3).')
  @minValue(1)
  @maxValue(10)
  redactionMaxAttempts: int?

  @description('Optional. REVIEW_DEFAULT: the review rule of a tenant that has not chosen one (always, when-needed, never; app default when-needed).')
  reviewDefault: ('always' | 'when-needed' | 'never')?

  @description('Optional. REVIEW_DEADLINE_HOURS: hours an item waits for its review before the original is deleted and the item quarantined (1-720, app default 72).')
  @minValue(1)
  @maxValue(720)
  reviewDeadlineHours: int?

  @description('Optional. MAX_UPLOAD_BYTES: largest accepted upload in bytes (app default 2 GiB).')
  @minValue(1)
  maxUploadBytes: int?

  @description('Optional. RETENTION_POLICIES as an object ({ default?, tenants: { <tenantId>: policy } }, see shared/retention); validated by the app at start-up. Unset uses the documented default policy.')
  retentionPolicies: object?
}

@export()
@description('Tunable settings of the redaction worker (worker/main.ts WorkerConfigSchema).')
type workerTuningType = {
  @description('Optional. WORKER_MAX_IDLE_SECONDS: an execution exits after the queue has been idle this long (worker default 60).')
  @minValue(0)
  @maxValue(3600)
  maxIdleSeconds: int?

  @description('Optional. WORKER_VISIBILITY_SECONDS: visibility timeout of a received job, extended while it runs (30-604800, worker default 300).')
  @minValue(30)
  @maxValue(604800)
  visibilitySeconds: int?
}

// ---------------------------------------------------------------------------------------------
// Per-stamp settings (built by main.bicep, consumed by stamp.bicep)
// ---------------------------------------------------------------------------------------------

@export()
@description('Names of every resource in one stamp, derived from abbreviations.json and the resource token.')
type stampNamesType = {
  @description('Required. User-assigned identity of the function app.')
  functionIdentity: string
  @description('Required. User-assigned identity of the redaction job.')
  workerIdentity: string
  @description('Required. User-assigned identity the storage account uses to reach its customer-managed key.')
  storageCmkIdentity: string
  @description('Required. Storage account (3-24 lower-case alphanumerics).')
  storageAccount: string
  @description('Required. Key Vault (3-24 characters).')
  keyVault: string
  @description('Required. Cosmos DB account.')
  cosmosAccount: string
  @description('Required. Flex Consumption plan.')
  appServicePlan: string
  @description('Required. Function app (also the default host name).')
  functionApp: string
  @description('Required. Log Analytics workspace.')
  logAnalytics: string
  @description('Required. Application Insights component.')
  appInsights: string
  @description('Required. Action group of the stamp alerts.')
  actionGroup: string
  @description('Required. Prefix of the scheduled query alert rules.')
  alertPrefix: string
  @description('Required. Event Grid system topic on the storage account.')
  eventGridSystemTopic: string
  @description('Required. Container Apps managed environment.')
  containerAppsEnvironment: string
  @description('Required. Redaction job.')
  redactionJob: string
  @description('Required. Container registry (alphanumerics only).')
  containerRegistry: string
  @description('Required. Virtual network.')
  virtualNetwork: string
  @description('Required. Prefix of private endpoints.')
  privateEndpointPrefix: string
  @description('Required. Allowed-locations policy assignment.')
  allowedLocationsAssignment: string
  @description('Required. User-assigned identity of the secrets bootstrap job.')
  bootstrapIdentity: string
  @description('Required. Bootstrap job that creates the app\'s Key Vault secrets (Container Apps, manual trigger).')
  bootstrapJob: string
  @description('Required. Azure Communication Services resource (globally unique host name).')
  communicationService: string
  @description('Required. Email Communication Service.')
  emailService: string
  @description('Required. Azure AI Vision (Computer Vision) account and its custom subdomain (globally unique); deployed only when the stamp enables the Vision plate detector.')
  visionAccount: string
}

@export()
@description('Everything one stamp needs, as a single typed object.')
type stampSettingsType = {
  @description('Required. azd environment name (or any deployment label).')
  environmentName: string
  @description('Required. The geography this stamp serves.')
  geography: geographyType
  @description('Required. Deterministic token that keeps global names unique.')
  resourceToken: string
  @description('Required. Resource names.')
  names: stampNamesType
  @description('Required. Tags applied to every resource.')
  tags: object
  @description('Required. Shared settings.')
  shared: sharedSettingsType
}

// ---------------------------------------------------------------------------------------------
// Building blocks used by several modules
// ---------------------------------------------------------------------------------------------

@export()
@description('A least-privilege role assignment on the resource that a module deploys.')
type roleAssignmentType = {
  @description('Required. Object (principal) id of the identity.')
  principalId: string

  @description('Required. Kind of principal; managed identities are ServicePrincipal.')
  principalType: 'ServicePrincipal' | 'Group' | 'User'

  @description('Required. GUID of a built-in role from builtInRoleIds (never Owner/Contributor).')
  roleDefinitionId: string

  @description('Optional. Why the principal needs the role.')
  description: string?
}

@export()
@description('A user-assigned managed identity as the modules consume it.')
type identityRefType = {
  @description('Required. Resource id of the user-assigned identity.')
  resourceId: string
  @description('Required. Client (application) id, used by identity-based connections.')
  clientId: string
  @description('Required. Object (principal) id, used by role assignments.')
  principalId: string
}

@export()
@description('Private endpoint wiring shared by the data-plane modules.')
type privateLinkType = {
  @description('Required. Subnet that hosts the private endpoints.')
  subnetId: string
  @description('Required. Private DNS zone ids keyed by group id (blob, queue, table, Sql, vault, and account when the Vision plate detector is on).')
  dnsZoneIds: object
  @description('Required. Prefix of the private endpoint names.')
  namePrefix: string
}

// ---------------------------------------------------------------------------------------------
// Built-in role catalogue. Only specific data-plane roles; Owner, Contributor and
// User Access Administrator are deliberately absent (policy rule BYS-RBAC-003).
// ---------------------------------------------------------------------------------------------

@export()
@description('GUIDs of the built-in Azure roles the stamp grants.')
var builtInRoleIds = {
  storageBlobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b'
  storageBlobDataContributor: 'ba92f5b4-2d11-453d-a403-e96b0029c9fe'
  storageBlobDataReader: '2a2b9908-6ea1-4ae2-8e65-a410df84e7d1'
  storageQueueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88'
  storageQueueDataMessageSender: 'c6a89b2d-59bc-44d0-9896-0f6e12d7b80a'
  storageTableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160ff3a'
  keyVaultCryptoUser: '12338af0-0e69-4776-bea7-57ae8d297424'
  keyVaultCryptoServiceEncryptionUser: 'e147488a-f6f5-4113-8e2d-b22465e65bf6'
  keyVaultSecretsUser: '4633458b-17de-408a-b874-0445c86b69e6'
  keyVaultSecretsOfficer: 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7'
  monitoringMetricsPublisher: '3913510d-42f4-4e42-8a64-420c390055eb'
  acrPull: '7f951dda-4ed3-4680-a7ca-43fe172d538d'
  // Data plane of Cognitive Services accounts (calls Image Analysis). Its only control-plane write is
  // accounts/listkeys/action, which yields nothing usable: the Vision account has local auth off.
  cognitiveServicesUser: 'a97b65f3-24c7-4388-baec-2e87135dc908'
}

@export()
@description('Cosmos DB SQL (data-plane) built-in role definition ids.')
var cosmosSqlRoleIds = {
  dataReader: '00000000-0000-0000-0000-000000000001'
  dataContributor: '00000000-0000-0000-0000-000000000002'
}
