metadata description = 'Bystander API and pipeline host: Azure Functions Flex Consumption (FC1), Node 22, user-assigned identity, identity-based connections only, durable task hub in the stamp storage, virtual network integration.'

import { identityRefType, authSettingsType, appTuningType } from '../../types.bicep'

@description('Required. Name of the function app.')
param name string

@description('Required. Name of the Flex Consumption plan.')
param planName string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resources; must carry azd-service-name for `azd deploy`.')
param tags object = {}

@description('Required. Geography code of the stamp (BYSTANDER_GEOGRAPHY, e.g. "au"): recorded on every incident and checked on every read.')
@minLength(2)
@maxLength(12)
param geographyCode string

@description('Required. User-assigned identity of the app.')
param identity identityRefType

@description('Required. Name of the stamp storage account: host storage, durable task hub, evidence, queues and deployment package.')
param storageAccountName string

@description('Required. Container that holds the deployment package.')
param deploymentContainerName string

@description('Required. Name of the Application Insights component of the stamp.')
param appInsightsName string

@description('Required. Cosmos DB account endpoint (COSMOS__accountEndpoint).')
param cosmosEndpoint string

@description('Required. Cosmos DB database name (COSMOS_DATABASE).')
param cosmosDatabaseName string

@description('Required. Key Vault URI (KEYVAULT__uri).')
param keyVaultUri string

@description('Required. Name of the evidence key-encryption key (KEYVAULT__keyName).')
param keyVaultKeyName string

@description('Required. Key Vault secret URIs (versionless) behind the Key Vault references. Created by the secrets bootstrap job, never passed as values.')
param keyVaultSecretUris {
  @description('Required. Secret holding the audit origin HMAC key (AUDIT_ORIGIN_KEY).')
  auditOriginKeyUri: string
  @description('Optional. Secret that signs agency webhooks (SHARE_WEBHOOK_SECRET); empty leaves webhooks off.')
  shareWebhookSecretUri: string?
}

@description('Required. Id of the audit origin key (AUDIT_ORIGIN_KEY_ID).')
param auditOriginKeyId string

@description('Required. Azure Communication Services e-mail (police notifications).')
param communication {
  @description('Required. Communication Services endpoint (ACS_EMAIL__endpoint).')
  endpoint: string
  @description('Required. Sender address on a linked domain (ACS_EMAIL_SENDER).')
  senderAddress: string
}

@description('Optional. Pipeline settings (UPLOAD_URL_TTL_MINUTES, REDACTION_TIMEOUT_MINUTES, REDACTION_MAX_ATTEMPTS, MAX_UPLOAD_BYTES, RETENTION_POLICIES); unset values are the app defaults.')
param tuning appTuningType = {}

@description('Required. Token validation settings.')
param auth authSettingsType

@description('Required. Subnet for virtual network integration (reaches Cosmos DB, Key Vault and storage privately).')
param virtualNetworkSubnetId string

@description('Optional. CIDR ranges denied at the app front door (bad actors).')
param deniedCidrs string[] = []

@description('Optional. Name of the Durable Functions task hub (host.json: "hubName": "%TASKHUB_NAME%").')
param taskHubName string = 'bystander'

@description('Optional. Upper bound of Flex Consumption instances.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 100

@description('Optional. Memory per instance (MB).')
@allowed([
  2048
  4096
])
param instanceMemoryMB int = 2048

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: 'functionapp'
  sku: {
    name: 'FC1'
    tier: 'FlexConsumption'
  }
  properties: {
    reserved: true
  }
}

// Deny rules for known bad actors first (priority 100+), then everything else is allowed: the API also
// serves police share links, so the app cannot be restricted to the retailers' ranges.
var denyRules = [
  for (cidr, i) in deniedCidrs: {
    name: 'deny-${i}'
    action: 'Deny'
    ipAddress: cidr
    priority: 100 + i
    description: 'Known bad actor range'
  }
]

// Every setting below is read by the app (shared/config/config.ts ConfigSchema, host.json, the Functions
// host or @azure/identity); see infra/README.md, "App settings", for the mapping.
var appSettings = union(
  {
    // Functions host storage and the durable task hub: the stamp storage account, by identity.
    AzureWebJobsStorage__credential: 'managedidentity'
    AzureWebJobsStorage__clientId: identity.clientId
    AzureWebJobsStorage__blobServiceUri: storage.properties.primaryEndpoints.blob
    AzureWebJobsStorage__queueServiceUri: storage.properties.primaryEndpoints.queue
    AzureWebJobsStorage__tableServiceUri: storage.properties.primaryEndpoints.table
    // host.json: extensions.durableTask.hubName = "%TASKHUB_NAME%".
    TASKHUB_NAME: taskHubName
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    APPLICATIONINSIGHTS_AUTHENTICATION_STRING: 'ClientId=${identity.clientId};Authorization=AAD'
    // @azure/identity fallback (DefaultAzureCredential) picks the app identity.
    AZURE_CLIENT_ID: identity.clientId
    BYSTANDER_MODE: 'azure'
    BYSTANDER_GEOGRAPHY: geographyCode
    // Evidence blobs and the redaction queues (also `connection: 'STORAGE'` of the queue trigger).
    STORAGE__credential: 'managedidentity'
    STORAGE__clientId: identity.clientId
    STORAGE__blobServiceUri: storage.properties.primaryEndpoints.blob
    STORAGE__queueServiceUri: storage.properties.primaryEndpoints.queue
    COSMOS__accountEndpoint: cosmosEndpoint
    COSMOS__clientId: identity.clientId
    COSMOS_DATABASE: cosmosDatabaseName
    KEYVAULT__uri: keyVaultUri
    KEYVAULT__keyName: keyVaultKeyName
    KEYVAULT__clientId: identity.clientId
    AUTH__issuer: auth.issuer
    AUTH__audience: auth.audience
    AUTH__jwksUri: auth.jwksUri
    // Resolved by the platform with keyVaultReferenceIdentity (the app identity, Key Vault Secrets User).
    AUDIT_ORIGIN_KEY: '@Microsoft.KeyVault(SecretUri=${keyVaultSecretUris.auditOriginKeyUri})'
    AUDIT_ORIGIN_KEY_ID: auditOriginKeyId
    // Share links are `<PUBLIC_BASE_URL>/s/<token>` (host.json routePrefix is "").
    PUBLIC_BASE_URL: 'https://${app.properties.defaultHostName}'
    // The share-link rate limit and audit origin take the client address only from the hop the
    // platform front end appends to X-Forwarded-For (never X-Azure-ClientIP: no Front Door here).
    CLIENT_ADDRESS_SOURCE: 'x-forwarded-for'
    CLIENT_ADDRESS_HOPS: '1'
    ACS_EMAIL__endpoint: communication.endpoint
    ACS_EMAIL__clientId: identity.clientId
    ACS_EMAIL_SENDER: communication.senderAddress
    // Pipeline settings; the defaults are the app's own.
    UPLOAD_URL_TTL_MINUTES: string(tuning.?uploadUrlTtlMinutes ?? 15)
    REDACTION_TIMEOUT_MINUTES: string(tuning.?redactionTimeoutMinutes ?? 60)
    REDACTION_MAX_ATTEMPTS: string(tuning.?redactionMaxAttempts ?? 3)
    REVIEW_DEFAULT: tuning.?reviewDefault ?? 'when-needed'
    REVIEW_DEADLINE_HOURS: string(tuning.?reviewDeadlineHours ?? 72)
    MAX_UPLOAD_BYTES: string(tuning.?maxUploadBytes ?? 2147483648)
  },
  empty(keyVaultSecretUris.?shareWebhookSecretUri ?? '')
    ? {}
    : {
        SHARE_WEBHOOK_SECRET: '@Microsoft.KeyVault(SecretUri=${keyVaultSecretUris.?shareWebhookSecretUri})'
      },
  // Per-tenant retention policies (JSON); absent = the app's documented default.
  empty(tuning.?retentionPolicies ?? {})
    ? {}
    : {
        RETENTION_POLICIES: string(tuning.?retentionPolicies)
      }
)

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  kind: 'functionapp,linux'
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.resourceId}': {}
    }
  }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientCertEnabled: false
    publicNetworkAccess: 'Enabled'
    virtualNetworkSubnetId: virtualNetworkSubnetId
    keyVaultReferenceIdentity: identity.resourceId
    functionAppConfig: {
      deployment: {
        storage: {
          type: 'blobContainer'
          value: '${storage.properties.primaryEndpoints.blob}${deploymentContainerName}'
          authentication: {
            type: 'UserAssignedIdentity'
            userAssignedIdentityResourceId: identity.resourceId
          }
        }
      }
      runtime: {
        name: 'node'
        version: '22'
      }
      scaleAndConcurrency: {
        maximumInstanceCount: maximumInstanceCount
        instanceMemoryMB: instanceMemoryMB
      }
    }
    siteConfig: {
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      ftpsState: 'Disabled'
      http20Enabled: true
      ipSecurityRestrictionsDefaultAction: 'Allow'
      ipSecurityRestrictions: denyRules
      scmIpSecurityRestrictionsUseMain: true
      cors: {
        allowedOrigins: []
      }
    }
  }
}

// App settings as a child resource keep the site definition readable and avoid a siteConfig round-trip.
resource settings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: appSettings
}

// Basic publishing credentials off: deployment is by Entra ID only.
resource ftpCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'ftp'
  properties: {
    allow: false
  }
}

resource scmCredentials 'Microsoft.Web/sites/basicPublishingCredentialsPolicies@2024-04-01' = {
  parent: app
  name: 'scm'
  properties: {
    allow: false
  }
}

@description('The name of the function app.')
output name string = app.name

@description('The resource id of the function app.')
output resourceId string = app.id

@description('The principal id of the app identity.')
output principalId string = identity.principalId

@description('Default host name (PUBLIC_BASE_URL host; API under /api/, share page under /s/).')
output defaultHostName string = app.properties.defaultHostName
