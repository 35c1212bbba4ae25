// One Bystander stamp: everything a geography needs, in one resource group, in that geography.
// Deployed by main.bicep once per entry of `geographies`; every module receives typed settings.

metadata description = 'Bystander stamp (resource group scope).'

import { stampSettingsType, builtInRoleIds } from './types.bicep'

@description('Required. Settings of this stamp, built by main.bicep.')
param settings stampSettingsType

var geography = settings.geography
var names = settings.names
var tags = settings.tags
var shared = settings.shared
var location = geography.primaryRegion
var gpuProfile = geography.?gpuProfile ?? 'T4'

// Optional Azure AI Vision plate detector: only where asked for AND the geography names a region that
// offers Image Analysis 4.0 (visionRegion); elsewhere the worker keeps the local detector.
var visionRegion = geography.?visionRegion ?? ''
var visionEnabled = (shared.?azureVisionPlates ?? false) && !empty(visionRegion)

// App secrets in Key Vault, created by the secrets bootstrap job (never by a template value). The audit
// origin key's name carries its id, so rotating = choosing a new id (a new secret; old ids stay valid).
var auditOriginKeyId = shared.?auditOriginKeyId ?? 'origin-1'
var shareWebhooks = shared.?shareWebhooks ?? false
var auditOriginKeySecretName = 'audit-origin-key-${auditOriginKeyId}'
var shareWebhookSecretName = 'share-webhook-secret'
var secretSpecs = concat(
  [
    '${auditOriginKeySecretName}:32'
  ],
  shareWebhooks ? ['${shareWebhookSecretName}:48'] : []
)

// ------------------------------------------------------------------------------------------------
// Governance first: resources of this resource group may only be created in the geography.
// ------------------------------------------------------------------------------------------------

module allowedLocations 'modules/governance/allowed-locations.bicep' = {
  name: '${deployment().name}-policy'
  params: {
    name: names.allowedLocationsAssignment
    geographyName: geography.name
    allowedRegions: geography.allowedRegions
  }
}

// ------------------------------------------------------------------------------------------------
// Identities: one per workload, so each gets only what it needs.
// ------------------------------------------------------------------------------------------------

module functionIdentity 'modules/identity/user-assigned-identity.bicep' = {
  name: '${deployment().name}-id-func'
  dependsOn: [
    allowedLocations
  ]
  params: {
    name: names.functionIdentity
    location: location
    tags: tags
  }
}

module workerIdentity 'modules/identity/user-assigned-identity.bicep' = {
  name: '${deployment().name}-id-worker'
  dependsOn: [
    allowedLocations
  ]
  params: {
    name: names.workerIdentity
    location: location
    tags: tags
  }
}

module bootstrapIdentity 'modules/identity/user-assigned-identity.bicep' = {
  name: '${deployment().name}-id-bootstrap'
  dependsOn: [
    allowedLocations
  ]
  params: {
    name: names.bootstrapIdentity
    location: location
    tags: tags
  }
}

module storageCmkIdentity 'modules/identity/user-assigned-identity.bicep' = {
  name: '${deployment().name}-id-cmk'
  dependsOn: [
    allowedLocations
  ]
  params: {
    name: names.storageCmkIdentity
    location: location
    tags: tags
  }
}

// ------------------------------------------------------------------------------------------------
// Observability and network
// ------------------------------------------------------------------------------------------------

module monitoring 'modules/monitoring/monitoring.bicep' = {
  name: '${deployment().name}-monitoring'
  dependsOn: [
    allowedLocations
  ]
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    tags: tags
    retentionInDays: shared.?logRetentionInDays ?? 30
    roleAssignments: [
      {
        principalId: functionIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.monitoringMetricsPublisher
        description: 'Function app telemetry with Entra ID ingestion'
      }
      {
        principalId: workerIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.monitoringMetricsPublisher
        description: 'Redaction worker telemetry (OpenTelemetry) with Entra ID ingestion'
      }
    ]
  }
}

module network 'modules/network/network.bicep' = {
  name: '${deployment().name}-network'
  dependsOn: [
    allowedLocations
  ]
  params: {
    name: names.virtualNetwork
    location: location
    tags: tags
    addressSpace: geography.?addressSpace ?? '10.60.0.0/22'
    cognitiveServicesZone: visionEnabled
  }
}

var privateLink = {
  subnetId: network.outputs.privateEndpointSubnetId
  dnsZoneIds: network.outputs.privateDnsZoneIds
  namePrefix: names.privateEndpointPrefix
}

// ------------------------------------------------------------------------------------------------
// Keys, storage, records
// ------------------------------------------------------------------------------------------------

module keyVault 'modules/keyvault/key-vault.bicep' = {
  name: '${deployment().name}-keyvault'
  params: {
    name: names.keyVault
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    privateLink: privateLink
    evidenceKeyRoleAssignments: [
      {
        principalId: functionIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.keyVaultCryptoUser
        description: 'Wrap new incident data keys and unwrap them (records, share streaming, re-wrap)'
      }
      {
        principalId: workerIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.keyVaultCryptoUser
        description: 'Unwrap the incident data key that seals redacted outputs'
      }
    ]
    storageKeyRoleAssignments: [
      {
        principalId: storageCmkIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.keyVaultCryptoServiceEncryptionUser
        description: 'Storage account encryption at rest with the customer-managed key'
      }
    ]
    vaultRoleAssignments: [
      {
        principalId: functionIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.keyVaultSecretsUser
        description: 'Resolve the Key Vault references AUDIT_ORIGIN_KEY and SHARE_WEBHOOK_SECRET'
      }
      {
        principalId: functionIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.keyVaultSecretsOfficer
        description: 'Create, read and delete the per-endpoint signing secrets of retailer webhooks (webhook-<id>)'
      }
      {
        principalId: bootstrapIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.keyVaultSecretsOfficer
        description: 'Create the app secrets once, from random bytes, inside the stamp network'
      }
    ]
  }
}

module storage 'modules/storage/storage-account.bicep' = {
  name: '${deployment().name}-storage'
  params: {
    name: names.storageAccount
    location: location
    tags: tags
    skuName: 'Standard_ZRS'
    softDeleteDays: shared.?blobSoftDeleteDays ?? 7
    ingestSafetyNetDays: shared.?ingestSafetyNetDays ?? 3
    quarantineRetentionDays: shared.?quarantineRetentionDays ?? 30
    exportRetentionDays: shared.?exportRetentionDays ?? 7
    uploadAllowedCidrs: geography.?uploadAllowedCidrs ?? []
    // The investigator console at https://<function app>/console/ uploads from the browser.
    browserUploadOrigins: ['https://${names.functionApp}.azurewebsites.net']
    customerManagedKey: {
      keyVaultUri: keyVault.outputs.uri
      keyName: keyVault.outputs.storageKeyName
      identityResourceId: storageCmkIdentity.outputs.resourceId
    }
    privateLink: privateLink
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    roleAssignments: [
      {
        principalId: functionIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.storageBlobDataOwner
        description: 'Functions host storage, blob trigger receipts, deployment package, user-delegation SAS'
      }
      {
        principalId: functionIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.storageQueueDataContributor
        description: 'Durable task hub queues, redaction queues and their poison queues'
      }
      {
        principalId: functionIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.storageTableDataContributor
        description: 'Durable task hub history and instance tables'
      }
    ]
  }
}

// The worker gets container- and queue-scoped roles only (worker/main.ts, worker/loop.ts, worker/job.ts):
// it reads the upload, writes the sealed output and the report (and reads them back to verify), takes
// jobs off `redaction-jobs`, extends their visibility while it works (Update Message needs
// messages/write, which only Storage Queue Data Contributor grants; the KEDA scaler also reads the
// queue length with this identity) and sends results and poison messages. Quarantine is written by
// the function app, never by the worker.
var workerStorageGrants = [
  {
    scopeKind: 'container'
    scopeName: 'ingest'
    roleDefinitionId: builtInRoleIds.storageBlobDataReader
    description: 'Read original uploads'
  }
  {
    scopeKind: 'container'
    scopeName: 'evidence'
    roleDefinitionId: builtInRoleIds.storageBlobDataContributor
    description: 'Write redacted, encrypted evidence'
  }
  {
    scopeKind: 'container'
    scopeName: 'reports'
    roleDefinitionId: builtInRoleIds.storageBlobDataContributor
    description: 'Write redaction reports'
  }
  {
    scopeKind: 'queue'
    scopeName: 'redaction-jobs'
    roleDefinitionId: builtInRoleIds.storageQueueDataContributor
    description: 'Receive, extend (update visibility) and delete redaction jobs; KEDA queue-length scaler'
  }
  {
    scopeKind: 'queue'
    scopeName: 'redaction-results'
    roleDefinitionId: builtInRoleIds.storageQueueDataMessageSender
    description: 'Report redaction results'
  }
  {
    scopeKind: 'queue'
    scopeName: 'redaction-jobs-poison'
    roleDefinitionId: builtInRoleIds.storageQueueDataMessageSender
    description: 'Move unprocessable jobs to the poison queue'
  }
]

module workerStorageAccess 'modules/storage/scoped-role-assignment.bicep' = [
  for grant in workerStorageGrants: {
    name: '${deployment().name}-worker-${grant.scopeKind}-${grant.scopeName}'
    params: {
      storageAccountName: storage.outputs.name
      scopeKind: grant.scopeKind
      scopeName: grant.scopeName
      roleAssignment: {
        principalId: workerIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: grant.roleDefinitionId
        description: grant.description
      }
    }
  }
]

module cosmos 'modules/cosmos/cosmos-account.bicep' = {
  name: '${deployment().name}-cosmos'
  params: {
    name: names.cosmosAccount
    location: location
    secondaryLocation: geography.?secondaryRegion ?? ''
    tags: tags
    privateLink: privateLink
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    dataContributorPrincipalIds: [
      functionIdentity.outputs.principalId
    ]
    auditTtlDays: shared.?auditTtlDays ?? 0
  }
}

// Optional: Azure AI Vision (Image Analysis 4.0 Read + People) as the redaction job's plate detector.
// The account lives in the geography's visionRegion (may differ from the stamp region), its private
// endpoint in the stamp VNet; only the job identity may call it, with Entra ID tokens.
module vision 'modules/cognitiveservices/vision.bicep' = if (visionEnabled) {
  name: '${deployment().name}-vision'
  dependsOn: [
    allowedLocations
  ]
  params: {
    name: names.visionAccount
    location: visionRegion
    endpointLocation: location
    tags: tags
    privateLink: privateLink
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    roleAssignments: [
      {
        principalId: workerIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.cognitiveServicesUser
        description: 'Plates by Azure AI Vision Image Analysis 4.0 (Read, People) from the redaction job'
      }
    ]
  }
}

// ------------------------------------------------------------------------------------------------
// Compute: the function app and the GPU redaction job
// ------------------------------------------------------------------------------------------------

module communication 'modules/communication/email.bicep' = {
  name: '${deployment().name}-communication'
  params: {
    communicationServiceName: names.communicationService
    emailServiceName: names.emailService
    dataLocation: geography.communicationDataLocation
    tags: tags
    senderPrincipalIds: [
      functionIdentity.outputs.principalId
    ]
  }
}

module functionApp 'modules/function/function-app.bicep' = {
  name: '${deployment().name}-function'
  params: {
    name: names.functionApp
    planName: names.appServicePlan
    location: location
    tags: union(tags, {
      'azd-service-name': 'api'
    })
    geographyCode: geography.code
    identity: {
      resourceId: functionIdentity.outputs.resourceId
      clientId: functionIdentity.outputs.clientId
      principalId: functionIdentity.outputs.principalId
    }
    storageAccountName: storage.outputs.name
    deploymentContainerName: storage.outputs.deploymentContainerName
    appInsightsName: monitoring.outputs.appInsightsName
    cosmosEndpoint: cosmos.outputs.endpoint
    cosmosDatabaseName: cosmos.outputs.databaseName
    keyVaultUri: keyVault.outputs.uri
    keyVaultKeyName: keyVault.outputs.evidenceKeyName
    keyVaultSecretUris: {
      auditOriginKeyUri: '${keyVault.outputs.uri}secrets/${auditOriginKeySecretName}/'
      shareWebhookSecretUri: shareWebhooks ? '${keyVault.outputs.uri}secrets/${shareWebhookSecretName}/' : ''
    }
    auditOriginKeyId: auditOriginKeyId
    communication: {
      endpoint: communication.outputs.endpoint
      senderAddress: communication.outputs.senderAddress
    }
    tuning: shared.?app ?? {}
    auth: shared.auth
    virtualNetworkSubnetId: network.outputs.functionSubnetId
    deniedCidrs: shared.?deniedCidrs ?? []
    taskHubName: 'bystander${geography.code}'
  }
}

module eventGrid 'modules/eventgrid/system-topic.bicep' = {
  name: '${deployment().name}-eventgrid'
  params: {
    name: names.eventGridSystemTopic
    location: location
    tags: tags
    storageAccountId: storage.outputs.resourceId
  }
}

module registry 'modules/containerapps/registry.bicep' = {
  name: '${deployment().name}-registry'
  dependsOn: [
    allowedLocations
  ]
  params: {
    name: names.containerRegistry
    location: location
    tags: tags
    roleAssignments: [
      {
        principalId: workerIdentity.outputs.principalId
        principalType: 'ServicePrincipal'
        roleDefinitionId: builtInRoleIds.acrPull
        description: 'Pull the worker image'
      }
    ]
  }
}

module jobsEnvironment 'modules/containerapps/environment.bicep' = {
  name: '${deployment().name}-cae'
  params: {
    name: names.containerAppsEnvironment
    location: location
    tags: tags
    infrastructureSubnetId: network.outputs.jobsSubnetId
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    gpuProfile: gpuProfile
  }
}

module bootstrapJob 'modules/keyvault/bootstrap-job.bicep' = {
  name: '${deployment().name}-bootstrap-job'
  params: {
    name: names.bootstrapJob
    location: location
    tags: tags
    environmentId: jobsEnvironment.outputs.resourceId
    identity: {
      resourceId: bootstrapIdentity.outputs.resourceId
      clientId: bootstrapIdentity.outputs.clientId
      principalId: bootstrapIdentity.outputs.principalId
    }
    keyVaultUri: keyVault.outputs.uri
    secretSpecs: secretSpecs
    image: shared.?bootstrapImage ?? 'mcr.microsoft.com/azure-cli:latest'
  }
}

module redactionJob 'modules/containerapps/redaction-job.bicep' = {
  name: '${deployment().name}-redaction-job'
  dependsOn: [
    workerStorageAccess
  ]
  params: {
    name: names.redactionJob
    location: location
    tags: union(tags, {
      'azd-service-name': 'worker'
    })
    environmentId: jobsEnvironment.outputs.resourceId
    workloadProfileName: jobsEnvironment.outputs.gpuWorkloadProfileName
    gpuProfile: gpuProfile
    identity: {
      resourceId: workerIdentity.outputs.resourceId
      clientId: workerIdentity.outputs.clientId
      principalId: workerIdentity.outputs.principalId
    }
    storageAccountName: storage.outputs.name
    registryLoginServer: registry.outputs.loginServer
    image: shared.?workerImage ?? ''
    keyVaultUri: keyVault.outputs.uri
    keyVaultKeyName: keyVault.outputs.evidenceKeyName
    appInsightsName: monitoring.outputs.appInsightsName
    tuning: shared.?worker ?? {}
    maxExecutions: shared.?maxRedactionExecutions ?? 10
    // ARM evaluates only the chosen branch, so the conditional module's output is read only when deployed.
    visionEndpoint: visionEnabled ? vision.outputs.endpoint : ''
  }
}

module alerts 'modules/monitoring/alerts.bicep' = {
  name: '${deployment().name}-alerts'
  params: {
    actionGroupName: names.actionGroup
    alertPrefix: names.alertPrefix
    location: location
    tags: tags
    logAnalyticsWorkspaceId: monitoring.outputs.logAnalyticsWorkspaceId
    alertEmails: geography.?alertEmails ?? []
    // processEvidence waits up to the review deadline for a reviewer: not stuck before it.
    reviewDeadlineHours: shared.?app.?reviewDeadlineHours ?? 72
  }
}

@description('Geography of the stamp.')
output geography string = geography.name

@description('Resource group of the stamp.')
output resourceGroupName string = resourceGroup().name

@description('Name of the function app.')
output functionAppName string = functionApp.outputs.name

@description('Default host name of the function app.')
output functionAppHostName string = functionApp.outputs.defaultHostName

@description('Principal id of the function app identity.')
output functionPrincipalId string = functionApp.outputs.principalId

@description('Name of the stamp storage account.')
output storageAccountName string = storage.outputs.name

@description('Name of the Event Grid system topic (the hook adds the BlobCreated subscription).')
output eventGridSystemTopicName string = eventGrid.outputs.name

@description('Name of the stamp Key Vault.')
output keyVaultName string = keyVault.outputs.name

@description('Cosmos DB endpoint.')
output cosmosEndpoint string = cosmos.outputs.endpoint

@description('Name of the container registry.')
output containerRegistryName string = registry.outputs.name

@description('Login server of the container registry.')
output containerRegistryEndpoint string = registry.outputs.loginServer

@description('Name of the redaction job.')
output redactionJobName string = redactionJob.outputs.name

@description('Name of the bootstrap job that creates the app Key Vault secrets (started by the deploy hook).')
output bootstrapJobName string = bootstrapJob.outputs.name

@description('Name of the Azure Communication Services resource.')
output communicationServiceName string = communication.outputs.name

@description('Plate detector of the redaction job: azure-vision (the stamp\'s Azure AI Vision account) or local.')
output plateDetector string = visionEnabled ? 'azure-vision' : 'local'

@description('Name of the Azure AI Vision account (empty when the Vision plate detector is off).')
output visionAccountName string = visionEnabled ? names.visionAccount : ''

@description('Principal id of the redaction job identity.')
output workerPrincipalId string = redactionJob.outputs.principalId
