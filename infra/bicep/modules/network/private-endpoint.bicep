metadata description = 'A private endpoint for one sub-resource (group id) with its private DNS zone group.'

@description('Required. Name of the private endpoint.')
param name string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resource.')
param tags object = {}

@description('Required. Subnet that hosts the endpoint.')
param subnetId string

@description('Required. Resource id of the target (storage account, Cosmos DB account, vault, Cognitive Services account).')
param targetResourceId string

@description('Required. Sub-resource of the target: blob, queue, table, Sql, vault or account (Cognitive Services).')
@allowed([
  'blob'
  'queue'
  'table'
  'Sql'
  'vault'
  'account'
])
param groupId string

@description('Required. Private DNS zone that resolves the target inside the virtual network.')
param privateDnsZoneId string

resource endpoint 'Microsoft.Network/privateEndpoints@2024-01-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    subnet: {
      id: subnetId
    }
    privateLinkServiceConnections: [
      {
        name: name
        properties: {
          privateLinkServiceId: targetResourceId
          groupIds: [
            groupId
          ]
        }
      }
    ]
  }
}

resource dnsZoneGroup 'Microsoft.Network/privateEndpoints/privateDnsZoneGroups@2024-01-01' = {
  parent: endpoint
  name: 'default'
  properties: {
    privateDnsZoneConfigs: [
      {
        name: groupId
        properties: {
          privateDnsZoneId: privateDnsZoneId
        }
      }
    ]
  }
}

@description('The name of the private endpoint.')
output name string = endpoint.name

@description('The resource id of the private endpoint.')
output resourceId string = endpoint.id
