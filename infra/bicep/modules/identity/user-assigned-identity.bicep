metadata description = 'A user-assigned managed identity (one per workload: function app, redaction job, storage CMK).'

@description('Required. Name of the identity.')
param name string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resource.')
param tags object = {}

resource identity 'Microsoft.ManagedIdentity/userAssignedIdentities@2023-01-31' = {
  name: name
  location: location
  tags: tags
}

@description('The name of the identity.')
output name string = identity.name

@description('The resource id of the identity.')
output resourceId string = identity.id

@description('The principal (object) id, used by role assignments.')
output principalId string = identity.properties.principalId

@description('The client (application) id, used by identity-based connections.')
output clientId string = identity.properties.clientId
