metadata description = 'Stamp storage: evidence containers, redaction queues, the Functions host and task hub, and the Flex Consumption deployment container. Entra ID only, CMK-encrypted, in-geography redundancy.'

import { roleAssignmentType, privateLinkType } from '../../types.bicep'

@description('Required. Name of the storage account (3-24 lower-case alphanumerics).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Optional. Redundancy. Only in-region options: data must not replicate to a paired region outside the geography.')
param skuName 'Standard_LRS' | 'Standard_ZRS' = 'Standard_ZRS'

@description('Optional. Days deleted blobs, containers and previous versions stay recoverable. Bounded so erasure completes.')
@minValue(1)
@maxValue(7)
param softDeleteDays int = 7

@description('Optional. Unprocessed uploads in `ingest` older than this are deleted (safety net behind the pipeline).')
@minValue(1)
@maxValue(7)
param ingestSafetyNetDays int = 3

@description('Optional. Originals in `quarantine` (redaction failed, never shareable) are deleted after this many days.')
@minValue(1)
@maxValue(365)
param quarantineRetentionDays int = 30

@description('Optional. Privacy-request export bundles in `exports` are deleted after this many days (the app offers them for 7 days: EXPORT_TTL_DAYS).')
@minValue(1)
@maxValue(30)
param exportRetentionDays int = 7

@description('Optional. Days each audit checkpoint blob version stays immutable (WORM): at least the audit retention.')
@minValue(365)
@maxValue(3650)
param auditCheckpointImmutableDays int = 365

@description('Optional. CIDR ranges of the retailer upload systems. When set, only these ranges (and the private endpoints) reach the account.')
param uploadAllowedCidrs string[] = []

@description('Optional. Origins whose browsers may PUT blocks to upload URLs (the investigator console, served by the stamp\'s Function app). Blob CORS allows PUT only.')
param browserUploadOrigins string[] = []

@description('Required. Customer-managed key used for encryption at rest.')
param customerManagedKey {
  @description('Required. URI of the stamp Key Vault.')
  keyVaultUri: string
  @description('Required. Name of the key (no version: the account follows key rotation automatically).')
  keyName: string
  @description('Required. Resource id of the user-assigned identity granted Crypto Service Encryption User on the key.')
  identityResourceId: string
}

@description('Required. Private endpoint wiring for the blob, queue and table endpoints used by the app and the job.')
param privateLink privateLinkType

@description('Required. Log Analytics workspace that receives blob and queue logs.')
param logAnalyticsWorkspaceId string

@description('Optional. Container that holds the Flex Consumption deployment package.')
param deploymentContainerName string = 'app-package'

@description('Optional. Role assignments on the whole account (the function app: host storage, task hub, triggers).')
param roleAssignments roleAssignmentType[] = []

// Must match the app: CONTAINERS in shared/domain/incident.ts and EXPORTS_CONTAINER in shared/domain/lifecycle.ts.
var evidenceContainers = [
  'ingest'
  'evidence'
  'quarantine'
  'reports'
  'exports'
]

// Must match the app: QUEUES in shared/domain/incident.ts, PURGE_QUEUE in shared/domain/lifecycle.ts and the
// webhook event queues in shared/webhooks/events.ts.
var queues = [
  'redaction-jobs'
  'redaction-jobs-poison'
  'redaction-results'
  'redaction-results-poison'
  'orchestration-purge'
  'webhook-events'
  'webhook-events-poison'
]

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: {
    name: skuName
  }
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${customerManagedKey.identityResourceId}': {}
    }
  }
  properties: {
    accessTier: 'Hot'
    allowBlobPublicAccess: false
    allowSharedKeyAccess: false
    allowCrossTenantReplication: false
    defaultToOAuthAuthentication: true
    minimumTlsVersion: 'TLS1_2'
    supportsHttpsTrafficOnly: true
    // Retailer systems upload with short-lived user-delegation SAS issued by the API, so the public blob
    // endpoint stays reachable unless the stamp restricts it to the retailers' ranges. The app and the job
    // use the private endpoints. The bad-actor deny-list is enforced where SAS is issued (function app).
    publicNetworkAccess: 'Enabled'
    networkAcls: {
      bypass: 'AzureServices'
      defaultAction: empty(uploadAllowedCidrs) ? 'Allow' : 'Deny'
      ipRules: [
        for cidr in uploadAllowedCidrs: {
          action: 'Allow'
          value: cidr
        }
      ]
      virtualNetworkRules: []
    }
    encryption: {
      keySource: 'Microsoft.Keyvault'
      requireInfrastructureEncryption: true
      identity: {
        userAssignedIdentity: customerManagedKey.identityResourceId
      }
      keyvaultproperties: {
        keyvaulturi: customerManagedKey.keyVaultUri
        keyname: customerManagedKey.keyName
      }
      services: {
        blob: {
          enabled: true
          keyType: 'Account'
        }
        file: {
          enabled: true
          keyType: 'Account'
        }
        queue: {
          enabled: true
          keyType: 'Account'
        }
        table: {
          enabled: true
          keyType: 'Account'
        }
      }
    }
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    isVersioningEnabled: true
    deleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
    containerDeleteRetentionPolicy: {
      enabled: true
      days: softDeleteDays
    }
    // The console uploads straight to its upload URL (Put Block, Put Block List): PUT from the stamp's
    // own origin only. Reads never need CORS: the browser never reads a blob.
    cors: {
      corsRules: empty(browserUploadOrigins)
        ? []
        : [
            {
              allowedOrigins: browserUploadOrigins
              allowedMethods: ['PUT']
              allowedHeaders: ['content-type', 'content-length', 'x-ms-blob-type', 'x-ms-blob-content-type', 'x-ms-version', 'x-ms-client-request-id', 'if-none-match']
              exposedHeaders: ['etag', 'x-ms-request-id', 'x-ms-error-code']
              maxAgeInSeconds: 600
            }
          ]
    }
  }
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = [
  for container in concat(evidenceContainers, [deploymentContainerName]): {
    parent: blobService
    name: container
    properties: {
      publicAccess: 'None'
    }
  }
]

// Audit chain heads (AUDIT_CHECKPOINTS_CONTAINER in shared/adapters/azure/blob-checkpoint-store.ts), written
// every 5 minutes by the app's auditCheckpoint timer: version-level immutability with a default time-based
// policy, so no identity (the app's, a stamp administrator's) can overwrite or delete a checkpoint before it
// expires, and `bystander audit verify` can tell a chain that lost or rewrote its tail. The policy is left
// unlocked at deployment (a locked period can only grow); lock it once the stamp is accepted (infra/README.md).
resource auditCheckpoints 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' = {
  parent: blobService
  name: 'audit-checkpoints'
  properties: {
    publicAccess: 'None'
    immutableStorageWithVersioning: {
      enabled: true
    }
  }
}

resource auditCheckpointsPolicy 'Microsoft.Storage/storageAccounts/blobServices/containers/immutabilityPolicies@2023-05-01' = {
  parent: auditCheckpoints
  name: 'default'
  properties: {
    immutabilityPeriodSinceCreationInDays: auditCheckpointImmutableDays
    allowProtectedAppendWrites: false
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' = {
  parent: storage
  name: 'default'
}

resource storageQueues 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' = [
  for queue in queues: {
    parent: queueService
    name: queue
  }
]

resource lifecycle 'Microsoft.Storage/storageAccounts/managementPolicies@2023-05-01' = {
  parent: storage
  name: 'default'
  properties: {
    policy: {
      rules: [
        {
          name: 'ingest-safety-net'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                'ingest/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: ingestSafetyNetDays
                }
              }
            }
          }
        }
        {
          // Unredacted originals that failed redaction: never shareable, kept only for investigation.
          name: 'quarantine-expiry'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                'quarantine/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: quarantineRetentionDays
                }
              }
            }
          }
        }
        {
          // Privacy-request export bundles: the app deletes them when the download window ends; this is the safety net.
          name: 'exports-expiry'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
              prefixMatch: [
                'exports/'
              ]
            }
            actions: {
              baseBlob: {
                delete: {
                  daysAfterModificationGreaterThan: exportRetentionDays
                }
              }
            }
          }
        }
        {
          // Versioning must not keep erased footage alive: previous versions go after the soft-delete window.
          name: 'bound-previous-versions'
          enabled: true
          type: 'Lifecycle'
          definition: {
            filters: {
              blobTypes: [
                'blockBlob'
              ]
            }
            actions: {
              version: {
                delete: {
                  daysAfterCreationGreaterThan: softDeleteDays
                }
              }
              snapshot: {
                delete: {
                  daysAfterCreationGreaterThan: softDeleteDays
                }
              }
            }
          }
        }
      ]
    }
  }
}

resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for ra in roleAssignments: {
    name: guid(storage.id, ra.principalId, ra.roleDefinitionId)
    scope: storage
    properties: {
      principalId: ra.principalId
      principalType: ra.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ra.roleDefinitionId)
      description: ra.?description ?? ''
    }
  }
]

resource blobDiagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'blob-to-log-analytics'
  scope: blobService
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logs: [
      {
        categoryGroup: 'audit'
        enabled: true
      }
    ]
  }
}

module privateEndpoints '../network/private-endpoint.bicep' = [
  for groupId in [
    'blob'
    'queue'
    'table'
  ]: {
    name: '${deployment().name}-pe-${groupId}'
    params: {
      name: '${privateLink.namePrefix}${name}-${groupId}'
      location: location
      tags: tags
      subnetId: privateLink.subnetId
      targetResourceId: storage.id
      groupId: groupId
      privateDnsZoneId: privateLink.dnsZoneIds[groupId]
    }
  }
]

@description('The name of the storage account.')
output name string = storage.name

@description('The resource id of the storage account.')
output resourceId string = storage.id

@description('Blob endpoint (STORAGE__blobServiceUri, AzureWebJobsStorage__blobServiceUri).')
output blobServiceUri string = storage.properties.primaryEndpoints.blob

@description('Queue endpoint.')
output queueServiceUri string = storage.properties.primaryEndpoints.queue

@description('Table endpoint (Durable Functions task hub).')
output tableServiceUri string = storage.properties.primaryEndpoints.table

@description('Container that holds the Flex Consumption deployment package.')
output deploymentContainerName string = deploymentContainerName
