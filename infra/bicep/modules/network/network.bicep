metadata description = 'Stamp virtual network: function app integration, Container Apps environment and private endpoint subnets, plus the private DNS zones of the data services.'

@description('Required. Name of the virtual network.')
param name string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Required. Address space of the virtual network (/22 or larger); split into three subnets.')
param addressSpace string

@description('Optional. Also create the Cognitive Services private DNS zone (privatelink.cognitiveservices.azure.com), for the optional Azure AI Vision plate detector.')
param cognitiveServicesZone bool = false

// /22 → /24 function integration, /23 Container Apps environment (workload profiles need /27+), /25 private endpoints.
var functionSubnetPrefix = cidrSubnet(addressSpace, 24, 0)
var jobsSubnetPrefix = cidrSubnet(addressSpace, 23, 1)
var endpointsSubnetPrefix = cidrSubnet(addressSpace, 25, 2)

// Zone names come from the cloud environment, not literals, so the module also works in sovereign clouds.
// Order matters: the privateDnsZoneIds output indexes this array. The Cognitive Services zone (index 5)
// exists only when the stamp deploys the Azure AI Vision account.
var privateDnsZoneNames = concat(
  [
    'privatelink.blob.${environment().suffixes.storage}'
    'privatelink.queue.${environment().suffixes.storage}'
    'privatelink.table.${environment().suffixes.storage}'
    'privatelink.documents.azure.com'
    'privatelink${environment().suffixes.keyvaultDns}'
  ],
  cognitiveServicesZone ? ['privatelink.cognitiveservices.azure.com'] : []
)

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-01-01' = {
  name: 'nsg-${name}'
  location: location
  tags: tags
  properties: {
    securityRules: []
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-01-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [
        addressSpace
      ]
    }
    subnets: [
      {
        name: 'snet-function'
        properties: {
          addressPrefix: functionSubnetPrefix
          networkSecurityGroup: {
            id: nsg.id
          }
          // Flex Consumption virtual network integration uses the Microsoft.App/environments delegation.
          delegations: [
            {
              name: 'flex-consumption'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'snet-jobs'
        properties: {
          addressPrefix: jobsSubnetPrefix
          networkSecurityGroup: {
            id: nsg.id
          }
          delegations: [
            {
              name: 'container-apps'
              properties: {
                serviceName: 'Microsoft.App/environments'
              }
            }
          ]
        }
      }
      {
        name: 'snet-private-endpoints'
        properties: {
          addressPrefix: endpointsSubnetPrefix
          networkSecurityGroup: {
            id: nsg.id
          }
          privateEndpointNetworkPolicies: 'Enabled'
        }
      }
    ]
  }
}

// Private DNS zones are global metadata (no customer data); they are the one place `global` is the location.
resource dnsZones 'Microsoft.Network/privateDnsZones@2020-06-01' = [
  for zone in privateDnsZoneNames: {
    name: zone
    location: 'global'
    tags: tags
  }
]

resource dnsLinks 'Microsoft.Network/privateDnsZones/virtualNetworkLinks@2020-06-01' = [
  for (zone, i) in privateDnsZoneNames: {
    parent: dnsZones[i]
    name: '${name}-link'
    location: 'global'
    tags: tags
    properties: {
      registrationEnabled: false
      virtualNetwork: {
        id: vnet.id
      }
    }
  }
]

@description('The name of the virtual network.')
output name string = vnet.name

@description('The resource id of the virtual network.')
output resourceId string = vnet.id

@description('Subnet for Flex Consumption virtual network integration.')
output functionSubnetId string = vnet.properties.subnets[0].id

@description('Subnet of the Container Apps environment.')
output jobsSubnetId string = vnet.properties.subnets[1].id

@description('Subnet of the private endpoints.')
output privateEndpointSubnetId string = vnet.properties.subnets[2].id

@description('Private DNS zone ids keyed by private link group id.')
output privateDnsZoneIds object = {
  blob: dnsZones[0].id
  queue: dnsZones[1].id
  table: dnsZones[2].id
  Sql: dnsZones[3].id
  vault: dnsZones[4].id
  // Empty when the zone is not deployed (ARM evaluates only the chosen branch of if()).
  account: cognitiveServicesZone ? dnsZones[5].id : ''
}
