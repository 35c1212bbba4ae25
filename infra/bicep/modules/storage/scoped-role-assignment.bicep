metadata description = 'Role assignment scoped to a single blob container or queue of the stamp storage account (least privilege for the redaction job).'

import { roleAssignmentType } from '../../types.bicep'

@description('Required. Name of the stamp storage account.')
param storageAccountName string

@description('Required. Kind of the scope.')
param scopeKind 'container' | 'queue'

@description('Required. Name of the container or queue.')
param scopeName string

@description('Required. The role assignment.')
param roleAssignment roleAssignmentType

resource storage 'Microsoft.Storage/storageAccounts@2023-05-01' existing = {
  name: storageAccountName
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource container 'Microsoft.Storage/storageAccounts/blobServices/containers@2023-05-01' existing = if (scopeKind == 'container') {
  parent: blobService
  name: scopeName
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2023-05-01' existing = {
  parent: storage
  name: 'default'
}

resource queue 'Microsoft.Storage/storageAccounts/queueServices/queues@2023-05-01' existing = if (scopeKind == 'queue') {
  parent: queueService
  name: scopeName
}

resource containerRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (scopeKind == 'container') {
  name: guid(container.id, roleAssignment.principalId, roleAssignment.roleDefinitionId)
  scope: container
  properties: {
    principalId: roleAssignment.principalId
    principalType: roleAssignment.principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleAssignment.roleDefinitionId)
    description: roleAssignment.?description ?? ''
  }
}

resource queueRole 'Microsoft.Authorization/roleAssignments@2022-04-01' = if (scopeKind == 'queue') {
  name: guid(queue.id, roleAssignment.principalId, roleAssignment.roleDefinitionId)
  scope: queue
  properties: {
    principalId: roleAssignment.principalId
    principalType: roleAssignment.principalType
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', roleAssignment.roleDefinitionId)
    description: roleAssignment.?description ?? ''
  }
}

@description('The resource id of the role assignment.')
output resourceId string = scopeKind == 'container' ? containerRole.id : queueRole.id
