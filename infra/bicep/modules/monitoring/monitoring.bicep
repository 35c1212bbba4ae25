metadata description = 'Log Analytics workspace and workspace-based Application Insights (Entra ID ingestion only), both in the geography.'

import { roleAssignmentType } from '../../types.bicep'

@description('Required. Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Required. Name of the Application Insights component.')
param appInsightsName string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Optional. Retention of logs in days.')
@minValue(30)
@maxValue(730)
param retentionInDays int = 30

@description('Optional. Role assignments on Application Insights (Monitoring Metrics Publisher for Entra ID ingestion).')
param roleAssignments roleAssignmentType[] = []

resource workspace 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: {
      name: 'PerGB2018'
    }
    retentionInDays: retentionInDays
    features: {
      disableLocalAuth: true
      enableLogAccessUsingOnlyResourcePermissions: true
    }
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: workspace.id
    DisableLocalAuth: true
    IngestionMode: 'LogAnalytics'
  }
}

resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for ra in roleAssignments: {
    name: guid(appInsights.id, ra.principalId, ra.roleDefinitionId)
    scope: appInsights
    properties: {
      principalId: ra.principalId
      principalType: ra.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ra.roleDefinitionId)
      description: ra.?description ?? ''
    }
  }
]

@description('The name of the Log Analytics workspace.')
output logAnalyticsName string = workspace.name

@description('The resource id of the Log Analytics workspace.')
output logAnalyticsWorkspaceId string = workspace.id

@description('The name of the Application Insights component.')
output appInsightsName string = appInsights.name

@description('The resource id of the Application Insights component.')
output appInsightsResourceId string = appInsights.id
