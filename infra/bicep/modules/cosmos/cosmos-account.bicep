metadata description = 'Stamp Cosmos DB (NoSQL): Entra ID only, private endpoint, locations restricted to the geography, the `bystander` database and its containers, data-plane role assignments.'

import { privateLinkType } from '../../types.bicep'

@description('Required. Name of the Cosmos DB account.')
param name string

@description('Required. Primary Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Failover region in the same geography; derived from the geography of the stamp. Empty for a single-region account.')
param secondaryLocation string = ''

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Required. Private endpoint wiring (the account has no public endpoint).')
param privateLink privateLinkType

@description('Required. Log Analytics workspace that receives data-plane logs.')
param logAnalyticsWorkspaceId string

@description('Optional. Name of the database.')
param databaseName string = 'bystander'

@description('Optional. Principals granted the built-in Data Contributor role on the database (the function app).')
param dataContributorPrincipalIds string[] = []

@description('Optional. Hours a periodic backup is kept. Short so erased records leave backups quickly.')
@minValue(8)
@maxValue(720)
param backupRetentionHours int = 48

@description('Optional. Autoscale ceiling (RU/s) shared by the containers of the database.')
@minValue(1000)
param maxThroughput int = 1000

@description('Optional. Days after which Cosmos DB itself deletes audit events. 0 (default) keeps TTL off on `audit`: the app removes old audit prefixes with an audited job that keeps the last hash as the chain anchor, which a TTL cannot do. When set, at least one year.')
@allowed([
  0
  365
  730
  1095
  1825
  2555
  3650
])
param auditTtlDays int = 0

// Must match the app: COSMOS_CONTAINERS and every CosmosDocumentStore in shared/composition.ts.
// Every container is partitioned by tenant. `ttl: -1` turns TTL on without a default (items may carry
// their own `ttl`); `ttl: 0` leaves TTL off. The audit chain is append-only with seq-derived ids as its
// compare-and-set (no transactional batch), so nothing may expire it early: TTL stays off unless a
// retention of a year or more is chosen.
var containers = [
  { name: 'incidents', ttl: -1 }
  { name: 'incidentVersions', ttl: -1 }
  { name: 'shares', ttl: -1 }
  { name: 'share-links', ttl: -1 }
  { name: 'privacyRequests', ttl: -1 }
  { name: 'webhooks', ttl: -1 }
  // Retailer webhook events (ids and codes only); each item carries its own ttl (30 days).
  { name: 'webhook-events', ttl: -1 }
  // Per-tenant settings chosen by the tenant's admins (the review rule); one small item per tenant.
  { name: 'tenant-settings', ttl: 0 }
  { name: 'audit', ttl: auditTtlDays * 86400 }
]

var locations = concat(
  [
    {
      locationName: location
      failoverPriority: 0
      isZoneRedundant: false
    }
  ],
  empty(secondaryLocation)
    ? []
    : [
        {
          locationName: secondaryLocation
          failoverPriority: 1
          isZoneRedundant: false
        }
      ]
)

resource account 'Microsoft.DocumentDB/databaseAccounts@2024-05-15' = {
  name: name
  location: location
  tags: tags
  kind: 'GlobalDocumentDB'
  properties: {
    databaseAccountOfferType: 'Standard'
    locations: locations
    consistencyPolicy: {
      defaultConsistencyLevel: 'Session'
    }
    enableAutomaticFailover: !empty(secondaryLocation)
    enableMultipleWriteLocations: false
    disableLocalAuth: true
    disableKeyBasedMetadataWriteAccess: true
    publicNetworkAccess: 'Disabled'
    isVirtualNetworkFilterEnabled: false
    networkAclBypass: 'None'
    minimalTlsVersion: 'Tls12'
    backupPolicy: {
      type: 'Periodic'
      periodicModeProperties: {
        backupIntervalInMinutes: 240
        backupRetentionIntervalInHours: backupRetentionHours
        // Local: backups stay in the region, never in a paired region outside the geography.
        backupStorageRedundancy: 'Local'
      }
    }
  }
}

resource database 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases@2024-05-15' = {
  parent: account
  name: databaseName
  properties: {
    resource: {
      id: databaseName
    }
    options: {
      // Shared autoscale throughput (serverless accounts cannot have a failover region).
      autoscaleSettings: {
        maxThroughput: maxThroughput
      }
    }
  }
}

resource sqlContainers 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers@2024-05-15' = [
  for container in containers: {
    parent: database
    name: container.name
    properties: {
      resource: union(
        {
          id: container.name
          partitionKey: {
            paths: [
              '/tenantId'
            ]
            kind: 'Hash'
            version: 2
          }
          indexingPolicy: {
            indexingMode: 'consistent'
            automatic: true
            includedPaths: [
              {
                path: '/*'
              }
            ]
            excludedPaths: [
              {
                path: '/"_etag"/?'
              }
            ]
          }
        },
        container.ttl == 0
          ? {}
          : {
              defaultTtl: container.ttl
            }
      )
    }
  }
]

// Data-plane RBAC (local auth is off): built-in Data Contributor, scoped to the database only.
resource dataContributorRole 'Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions@2024-05-15' existing = {
  parent: account
  name: '00000000-0000-0000-0000-000000000002'
}

resource sqlRoleAssignments 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments@2024-05-15' = [
  for principalId in dataContributorPrincipalIds: {
    parent: account
    name: guid(database.id, principalId, dataContributorRole.id)
    properties: {
      principalId: principalId
      roleDefinitionId: dataContributorRole.id
      scope: '${account.id}/dbs/${database.name}'
    }
  }
]

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'cosmos-to-log-analytics'
  scope: account
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        category: 'DataPlaneRequests'
        enabled: true
      }
      {
        category: 'ControlPlaneRequests'
        enabled: true
      }
    ]
  }
}

module privateEndpoint '../network/private-endpoint.bicep' = {
  name: '${deployment().name}-pe'
  params: {
    name: '${privateLink.namePrefix}${name}-sql'
    location: location
    tags: tags
    subnetId: privateLink.subnetId
    targetResourceId: account.id
    groupId: 'Sql'
    privateDnsZoneId: privateLink.dnsZoneIds.Sql
  }
}

@description('The name of the Cosmos DB account.')
output name string = account.name

@description('The resource id of the Cosmos DB account.')
output resourceId string = account.id

@description('Account endpoint (COSMOS__accountEndpoint).')
output endpoint string = account.properties.documentEndpoint

@description('Name of the database.')
output databaseName string = database.name

@description('Names of the containers (all partitioned by /tenantId).')
output containerNames string[] = [for c in containers: c.name]
