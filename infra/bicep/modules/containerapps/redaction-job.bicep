metadata description = 'The GPU redaction worker as an event-driven Container Apps job, scaled by the length of the redaction-jobs queue in the stamp storage account (KEDA azure-queue scaler authenticated by managed identity).'

import { identityRefType, gpuProfileType, workerTuningType } from '../../types.bicep'

@description('Required. Name of the job.')
param name string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resource.')
param tags object = {}

@description('Required. Resource id of the Container Apps environment.')
param environmentId string

@description('Required. Workload profile of the environment to run on (gpu-t4 or gpu-a100).')
param workloadProfileName string

@description('Required. GPU profile, which sets the replica size.')
param gpuProfile gpuProfileType

@description('Required. User-assigned identity of the job (queue scaler, storage, Key Vault, registry pull).')
param identity identityRefType

@description('Required. Name of the stamp storage account holding the redaction queues and evidence containers.')
param storageAccountName string

@description('Required. Login server of the stamp container registry.')
param registryLoginServer string

@description('Optional. Worker image. Empty deploys a public placeholder until the postdeploy hook pushes the worker.')
param image string = ''

@description('Required. Key Vault URI (KEYVAULT__uri: unwraps the incident data key that seals outputs).')
param keyVaultUri string

@description('Required. Name of the stamp\'s Application Insights component: the worker\'s OpenTelemetry traces and metrics (Entra ID ingestion with the job identity, which needs Monitoring Metrics Publisher on it).')
param appInsightsName string

@description('Required. Name of the evidence key-encryption key (KEYVAULT__keyName).')
param keyVaultKeyName string

@description('Optional. Endpoint of the stamp\'s Azure AI Vision account. Set: plates by Azure AI Vision (BYSTANDER_PLATE_DETECTOR=azure-vision, VISION__endpoint, VISION__clientId = the job identity; never a key). Empty (default): the local PP-OCR plate detector, no frame leaves the worker.')
param visionEndpoint string = ''

@description('Optional. Queue the job is triggered by (the worker reads the same name from worker/loop.ts).')
param jobsQueueName string = 'redaction-jobs'

@description('Optional. Worker loop settings (WORKER_MAX_IDLE_SECONDS, WORKER_VISIBILITY_SECONDS); unset values are the worker defaults (60 s, 300 s).')
param tuning workerTuningType = {}

@description('Optional. Most executions running at once.')
@minValue(1)
@maxValue(100)
param maxExecutions int = 10

@description('Optional. Seconds one execution may run before it is stopped (the orchestrator times out later and quarantines).')
@minValue(60)
@maxValue(14400)
param replicaTimeout int = 3600

@description('Optional. Retries of a failed replica before the execution fails.')
@minValue(0)
@maxValue(5)
param replicaRetryLimit int = 1

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

// Serverless GPU replica sizes: NC8as-T4 = 8 vCPU / 56 GiB, NC24-A100 = 24 vCPU / 220 GiB.
var resources = gpuProfile == 'A100'
  ? {
      cpu: json('24')
      memory: '220Gi'
    }
  : {
      cpu: json('8')
      memory: '56Gi'
    }

// worker/main.ts WorkerConfigSchema; the image's ENTRYPOINT runs worker/main.ts. Console output (one JSON
// line per event) reaches Log Analytics through the environment's diagnostic settings.
var baseEnv = [
  { name: 'STORAGE__blobServiceUri', value: storage.properties.primaryEndpoints.blob }
  { name: 'STORAGE__queueServiceUri', value: storage.properties.primaryEndpoints.queue }
  { name: 'STORAGE__clientId', value: identity.clientId }
  { name: 'KEYVAULT__uri', value: keyVaultUri }
  { name: 'KEYVAULT__keyName', value: keyVaultKeyName }
  { name: 'KEYVAULT__clientId', value: identity.clientId }
  // Every workload profile of this job is a GPU profile.
  { name: 'BYSTANDER_DEVICE', value: 'cuda' }
  { name: 'WORKER_MAX_IDLE_SECONDS', value: string(tuning.?maxIdleSeconds ?? 60) }
  { name: 'WORKER_VISIBILITY_SECONDS', value: string(tuning.?visibilitySeconds ?? 300) }
  // @azure/identity fallback (DefaultAzureCredential) picks the job identity.
  { name: 'AZURE_CLIENT_ID', value: identity.clientId }
  // OpenTelemetry to Application Insights (local auth is disabled: Entra ID with the job identity).
  { name: 'APPLICATIONINSIGHTS_CONNECTION_STRING', value: appInsights.properties.ConnectionString }
  { name: 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING', value: 'ClientId=${identity.clientId};Authorization=AAD' }
]

// Only with the optional Azure AI Vision account; otherwise BYSTANDER_PLATE_DETECTOR stays unset and the
// worker uses its default, the local detector. Managed identity only: the worker refuses VISION__key.
var visionEnv = empty(visionEndpoint)
  ? []
  : [
      { name: 'BYSTANDER_PLATE_DETECTOR', value: 'azure-vision' }
      { name: 'VISION__endpoint', value: visionEndpoint }
      { name: 'VISION__clientId', value: identity.clientId }
    ]

resource job 'Microsoft.App/jobs@2025-01-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.resourceId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: workloadProfileName
    configuration: {
      triggerType: 'Event'
      replicaTimeout: replicaTimeout
      replicaRetryLimit: replicaRetryLimit
      eventTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
        scale: {
          minExecutions: 0
          maxExecutions: maxExecutions
          pollingInterval: 15
          rules: [
            {
              name: 'redaction-jobs-queue'
              type: 'azure-queue'
              metadata: {
                accountName: storage.name
                queueName: jobsQueueName
                queueLength: '1'
                // Count visible messages only: jobs already taken by a running execution are invisible
                // and must not start more executions.
                queueLengthStrategy: 'visibleonly'
              }
              // The scaler reads the queue with the job identity; no connection string secret exists.
              identity: identity.resourceId
            }
          ]
        }
      }
      // Always configured, so the postdeploy hook can switch from the placeholder to the stamp image.
      registries: [
        {
          server: registryLoginServer
          identity: identity.resourceId
        }
      ]
    }
    template: {
      containers: [
        {
          name: 'redaction-worker'
          image: empty(image) ? 'mcr.microsoft.com/k8se/quickstart-jobs:latest' : image
          resources: resources
          env: concat(baseEnv, visionEnv)
        }
      ]
    }
  }
}

@description('The name of the job.')
output name string = job.name

@description('The resource id of the job.')
output resourceId string = job.id

@description('The principal id of the job identity.')
output principalId string = identity.principalId
