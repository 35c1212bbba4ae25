metadata description = 'Container registry of the stamp (worker image stays in the geography); pull by managed identity only.'

import { roleAssignmentType } from '../../types.bicep'

@description('Required. Name of the registry (5-50 alphanumerics).')
@minLength(5)
@maxLength(50)
param name string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resource.')
param tags object = {}

@description('Optional. Role assignments on the registry (AcrPull for the job identity).')
param roleAssignments roleAssignmentType[] = []

resource registry 'Microsoft.ContainerRegistry/registries@2023-07-01' = {
  name: name
  location: location
  tags: tags
  sku: {
    name: 'Standard'
  }
  properties: {
    adminUserEnabled: false
    anonymousPullEnabled: false
    dataEndpointEnabled: false
    // Standard SKU has no private link; pushes come from CI/azd, pulls by identity. Use Premium + private endpoint to close it.
    publicNetworkAccess: 'Enabled'
    policies: {
      retentionPolicy: {
        status: 'disabled'
      }
    }
  }
}

resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for ra in roleAssignments: {
    name: guid(registry.id, ra.principalId, ra.roleDefinitionId)
    scope: registry
    properties: {
      principalId: ra.principalId
      principalType: ra.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ra.roleDefinitionId)
      description: ra.?description ?? ''
    }
  }
]

@description('The name of the registry.')
output name string = registry.name

@description('The resource id of the registry.')
output resourceId string = registry.id

@description('Login server of the registry.')
output loginServer string = registry.properties.loginServer
