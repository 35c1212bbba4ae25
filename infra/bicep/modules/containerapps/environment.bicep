metadata description = 'Container Apps managed environment with serverless GPU workload profiles (T4 by default, A100 optional), internal to the stamp virtual network, logs to Azure Monitor.'

import { gpuProfileType } from '../../types.bicep'

@description('Required. Name of the environment.')
param name string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Required. Subnet of the environment (delegated to Microsoft.App/environments).')
param infrastructureSubnetId string

@description('Required. Log Analytics workspace for the environment logs (diagnostic settings, no shared key).')
param logAnalyticsWorkspaceId string

@description('Optional. GPU profile the redaction job runs on. The T4 profile is always present; A100 is added when selected.')
param gpuProfile gpuProfileType = 'T4'

var t4Profile = {
  name: 'gpu-t4'
  workloadProfileType: 'Consumption-GPU-NC8as-T4'
}

var a100Profile = {
  name: 'gpu-a100'
  workloadProfileType: 'Consumption-GPU-NC24-A100'
}

var workloadProfiles = concat(
  [
    {
      name: 'Consumption'
      workloadProfileType: 'Consumption'
    }
    t4Profile
  ],
  gpuProfile == 'A100' ? [a100Profile] : []
)

resource environment 'Microsoft.App/managedEnvironments@2024-03-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    workloadProfiles: workloadProfiles
    vnetConfiguration: {
      infrastructureSubnetId: infrastructureSubnetId
      // Jobs have no ingress; nothing in the environment needs a public address.
      internal: true
    }
    appLogsConfiguration: {
      destination: 'azure-monitor'
    }
    zoneRedundant: false
    peerAuthentication: {
      mtls: {
        enabled: true
      }
    }
  }
}

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'cae-to-log-analytics'
  scope: environment
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
  }
}

@description('The name of the environment.')
output name string = environment.name

@description('The resource id of the environment.')
output resourceId string = environment.id

@description('Workload profile the redaction job should use.')
output gpuWorkloadProfileName string = gpuProfile == 'A100' ? a100Profile.name : t4Profile.name
