metadata description = 'Optional Azure AI Vision account (Computer Vision, Image Analysis 4.0 Read + People) for the redaction worker\'s cloud plate detector: Entra ID only (local auth off), no public network (private endpoint in the stamp VNet), custom subdomain, in the geography\'s Vision region, logs to Log Analytics, Cognitive Services User for the job identity.'

import { roleAssignmentType, privateLinkType } from '../../types.bicep'

@description('Required. Name of the account; also its custom subdomain (<name>.cognitiveservices.azure.com), so globally unique.')
@minLength(2)
@maxLength(64)
param name string

@description('Required. Region of the account: the geography\'s visionRegion (an allowed region that offers Image Analysis 4.0 Read and People). May differ from the stamp region.')
param location string

@description('Required. Region of the private endpoint: the stamp region (the virtual network\'s).')
param endpointLocation string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Required. Private endpoint wiring (the account has no public endpoint); dnsZoneIds.account is the privatelink.cognitiveservices.azure.com zone.')
param privateLink privateLinkType

@description('Required. Log Analytics workspace that receives the account\'s logs and metrics.')
param logAnalyticsWorkspaceId string

@description('Optional. Role assignments on the account (Cognitive Services User for the redaction job identity).')
param roleAssignments roleAssignmentType[] = []

resource account 'Microsoft.CognitiveServices/accounts@2024-10-01' = {
  name: name
  location: location
  tags: tags
  kind: 'ComputerVision'
  sku: {
    // Standard, billed per transaction (F0 is one free account per subscription with low limits).
    name: 'S1'
  }
  properties: {
    // Entra ID tokens need a custom subdomain (the regional endpoint accepts keys only); the private
    // endpoint's DNS record is also made for it.
    customSubDomainName: name
    // No keys: the worker refuses VISION__key and authenticates with the job identity.
    disableLocalAuth: true
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      // No trusted-service bypass: nothing but the private endpoint reaches the account.
      bypass: 'None'
      defaultAction: 'Deny'
      ipRules: []
      virtualNetworkRules: []
    }
    // The worker sends image bytes, never URLs: the account has no reason to call out anywhere.
    restrictOutboundNetworkAccess: true
    allowedFqdnList: []
  }
}

// Cognitive Services User: data plane of this one account (Image Analysis calls) plus read. Its
// listkeys action yields nothing usable here (local auth is off). Scoped to the account, not the group.
resource roles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for ra in roleAssignments: {
    name: guid(account.id, ra.principalId, ra.roleDefinitionId)
    scope: account
    properties: {
      principalId: ra.principalId
      principalType: ra.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ra.roleDefinitionId)
      description: ra.?description ?? ''
    }
  }
]

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'vision-to-log-analytics'
  scope: account
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        // Audit and RequestResponse (operation, status, duration, caller): request metadata, not images.
        categoryGroup: 'allLogs'
        enabled: true
      }
    ]
    metrics: [
      {
        category: 'AllMetrics'
        enabled: true
      }
    ]
  }
}

module privateEndpoint '../network/private-endpoint.bicep' = {
  name: '${deployment().name}-pe'
  params: {
    name: '${privateLink.namePrefix}${name}-account'
    location: endpointLocation
    tags: tags
    subnetId: privateLink.subnetId
    targetResourceId: account.id
    groupId: 'account'
    privateDnsZoneId: privateLink.dnsZoneIds.account
  }
}

@description('The name of the account.')
output name string = account.name

@description('The resource id of the account.')
output resourceId string = account.id

@description('Endpoint of the account (VISION__endpoint): https://<name>.cognitiveservices.azure.com/, resolved to the private endpoint inside the stamp VNet.')
output endpoint string = account.properties.endpoint
