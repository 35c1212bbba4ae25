// Bystander: one independent stamp per geography, each in its own resource group in that geography.
//   az deployment sub create -l <region> -f infra/bicep/main.bicep -p infra/bicep/params/australia.bicepparam
//   azd up   (infra/azure.yaml → main.bicepparam, geography chosen by BYSTANDER_GEOGRAPHY)

targetScope = 'subscription'

metadata name = 'Bystander'
metadata description = 'Deploys one Bystander stamp per geography: storage, Functions (Flex Consumption), Cosmos DB, Key Vault, Event Grid, a GPU Container Apps job, monitoring and governance.'

import { geographyType, sharedSettingsType } from './types.bicep'

@description('Required. Environment name (azd AZURE_ENV_NAME), e.g. "prod". Part of every resource name and the resource token.')
@minLength(1)
@maxLength(12)
param environmentName string

@description('Required. Geographies to deploy; one stamp (resource group) per entry. Usually one per parameter file.')
@minLength(1)
param geographies geographyType[]

@description('Required. Settings shared by every stamp of this deployment.')
param sharedSettings sharedSettingsType

@description('Optional. Workload short name used in resource names.')
@minLength(2)
@maxLength(5)
param workload string = 'bys'

var abbrs = loadJsonContent('abbreviations.json')

// uniqueString is deterministic per subscription, environment and geography: redeploys keep their names.
var resourceTokens = [for geo in geographies: toLower(uniqueString(subscription().id, environmentName, geo.name))]

// Checked against stampSettingsType where stamp.bicep receives it.
var stampSettings = [
  for (geo, i) in geographies: {
    environmentName: environmentName
    geography: geo
    resourceToken: resourceTokens[i]
    tags: {
      'azd-env-name': environmentName
      workload: 'bystander'
      geography: geo.name
      'data-classification': 'confidential'
    }
    shared: sharedSettings
    names: {
      functionIdentity: '${abbrs.managedIdentityUserAssignedIdentities}func-${geo.code}-${resourceTokens[i]}'
      workerIdentity: '${abbrs.managedIdentityUserAssignedIdentities}worker-${geo.code}-${resourceTokens[i]}'
      storageCmkIdentity: '${abbrs.managedIdentityUserAssignedIdentities}cmk-${geo.code}-${resourceTokens[i]}'
      storageAccount: take('${abbrs.storageStorageAccounts}${workload}${geo.code}${resourceTokens[i]}', 24)
      keyVault: take('${abbrs.keyVaultVaults}${workload}${geo.code}-${resourceTokens[i]}', 24)
      cosmosAccount: '${abbrs.documentDBDatabaseAccounts}${workload}-${geo.code}-${resourceTokens[i]}'
      appServicePlan: '${abbrs.webServerFarms}${workload}-${geo.code}-${resourceTokens[i]}'
      functionApp: '${abbrs.webSitesFunctions}${workload}-${geo.code}-${resourceTokens[i]}'
      logAnalytics: '${abbrs.operationalInsightsWorkspaces}${workload}-${geo.code}-${resourceTokens[i]}'
      appInsights: '${abbrs.insightsComponents}${workload}-${geo.code}-${resourceTokens[i]}'
      actionGroup: '${abbrs.insightsActionGroups}${workload}-${geo.code}-${environmentName}'
      alertPrefix: '${abbrs.insightsScheduledQueryRules}${workload}-${geo.code}-'
      eventGridSystemTopic: '${abbrs.eventGridSystemTopics}${workload}-${geo.code}-${resourceTokens[i]}'
      containerAppsEnvironment: '${abbrs.appManagedEnvironments}${workload}-${geo.code}-${resourceTokens[i]}'
      redactionJob: take('${abbrs.appJobs}redact-${geo.code}-${resourceTokens[i]}', 32)
      containerRegistry: '${abbrs.containerRegistryRegistries}${workload}${geo.code}${resourceTokens[i]}'
      virtualNetwork: '${abbrs.networkVirtualNetworks}${workload}-${geo.code}-${resourceTokens[i]}'
      privateEndpointPrefix: abbrs.networkPrivateEndpoints
      allowedLocationsAssignment: '${abbrs.policyAssignments}${workload}-${geo.name}-allowed-locations'
      bootstrapIdentity: '${abbrs.managedIdentityUserAssignedIdentities}bootstrap-${geo.code}-${resourceTokens[i]}'
      bootstrapJob: take('${abbrs.appJobs}bootstrap-${geo.code}-${resourceTokens[i]}', 32)
      communicationService: '${abbrs.communicationCommunicationServices}${workload}-${geo.code}-${resourceTokens[i]}'
      emailService: '${abbrs.communicationEmailServices}${workload}-${geo.code}-${resourceTokens[i]}'
      visionAccount: '${abbrs.cognitiveServicesComputerVision}${workload}-${geo.code}-${resourceTokens[i]}'
    }
  }
]

resource stampGroups 'Microsoft.Resources/resourceGroups@2024-03-01' = [
  for (geo, i) in geographies: {
    name: '${abbrs.resourcesResourceGroups}bystander-${geo.name}-${environmentName}'
    location: geo.primaryRegion
    tags: stampSettings[i].tags
  }
]

module stamps 'stamp.bicep' = [
  for (geo, i) in geographies: {
    name: 'bystander-${geo.name}-${environmentName}'
    scope: stampGroups[i]
    params: {
      settings: stampSettings[i]
    }
  }
]

// Outputs become azd environment values (single-geography environments use the first stamp).
@description('Every stamp deployed: resource group and the names the hooks and operators need.')
output stamps array = [
  for (geo, i) in geographies: {
    geography: geo.name
    resourceGroup: stampGroups[i].name
    functionAppName: stamps[i].outputs.functionAppName
    storageAccountName: stamps[i].outputs.storageAccountName
    eventGridSystemTopicName: stamps[i].outputs.eventGridSystemTopicName
    keyVaultName: stamps[i].outputs.keyVaultName
    containerRegistryName: stamps[i].outputs.containerRegistryName
    redactionJobName: stamps[i].outputs.redactionJobName
    bootstrapJobName: stamps[i].outputs.bootstrapJobName
    communicationServiceName: stamps[i].outputs.communicationServiceName
    plateDetector: stamps[i].outputs.plateDetector
  }
]

@description('Resource group of the first stamp (azd deploys the api service there).')
output AZURE_RESOURCE_GROUP string = stampGroups[0].name

@description('Geography of the first stamp.')
output BYSTANDER_GEOGRAPHY string = geographies[0].name

@description('Function app of the first stamp.')
output AZURE_FUNCTION_APP_NAME string = stamps[0].outputs.functionAppName

@description('Storage account of the first stamp.')
output AZURE_STORAGE_ACCOUNT_NAME string = stamps[0].outputs.storageAccountName

@description('Event Grid system topic of the first stamp.')
output AZURE_EVENTGRID_SYSTEM_TOPIC_NAME string = stamps[0].outputs.eventGridSystemTopicName

@description('Container registry endpoint of the first stamp (azd pushes the worker image there).')
output AZURE_CONTAINER_REGISTRY_ENDPOINT string = stamps[0].outputs.containerRegistryEndpoint

@description('Container registry of the first stamp.')
output AZURE_CONTAINER_REGISTRY_NAME string = stamps[0].outputs.containerRegistryName

@description('Redaction job of the first stamp.')
output AZURE_REDACTION_JOB_NAME string = stamps[0].outputs.redactionJobName

@description('Bootstrap job of the first stamp (infra/hooks/app-secrets.sh starts it to create the app Key Vault secrets).')
output AZURE_BOOTSTRAP_JOB_NAME string = stamps[0].outputs.bootstrapJobName
