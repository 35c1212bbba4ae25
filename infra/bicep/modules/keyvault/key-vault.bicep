metadata description = 'Stamp Key Vault: RBAC only, purge protection, private endpoint, the evidence key-encryption key and the storage CMK, both with rotation policies.'

import { roleAssignmentType, privateLinkType } from '../../types.bicep'

@description('Required. Name of the vault (3-24 characters).')
@minLength(3)
@maxLength(24)
param name string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Required. Log Analytics workspace that receives the audit logs.')
param logAnalyticsWorkspaceId string

@description('Required. Private endpoint wiring (the vault has no public endpoint).')
param privateLink privateLinkType

@description('Optional. Name of the key-encryption key that wraps per-evidence data keys.')
param evidenceKeyName string = 'kek-evidence'

@description('Optional. Name of the key the storage account uses for encryption at rest.')
param storageKeyName string = 'cmk-storage'

@description('Optional. Rotate keys this long after creation (ISO 8601 duration).')
param rotateAfter string = 'P180D'

@description('Optional. Key versions expire this long after creation (ISO 8601 duration); must exceed rotateAfter.')
param keyExpiry string = 'P1Y'

@description('Optional. Days a deleted vault or key remains recoverable (purge protection keeps it unpurgeable meanwhile).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int = 90

@description('Optional. Role assignments on the evidence key-encryption key (wrap/unwrap by the app and the worker).')
param evidenceKeyRoleAssignments roleAssignmentType[] = []

@description('Optional. Role assignments on the storage encryption key (the storage CMK identity).')
param storageKeyRoleAssignments roleAssignmentType[] = []

@description('Optional. Role assignments on the vault for its secrets (Secrets User for Key Vault references, Secrets Officer for the bootstrap job). Vault scope because the secrets are created after the template runs; the vault holds only the stamp\'s own app secrets besides its keys, which secret roles cannot use.')
param vaultRoleAssignments roleAssignmentType[] = []

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: subscription().tenantId
    sku: {
      family: 'A'
      // Premium: keys are HSM-protected (RSA-HSM).
      name: 'premium'
    }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    enablePurgeProtection: true
    enabledForDeployment: false
    enabledForDiskEncryption: false
    enabledForTemplateDeployment: false
    publicNetworkAccess: 'Disabled'
    networkAcls: {
      // Storage reaches its customer-managed key as a trusted service; everything else uses the private endpoint.
      bypass: 'AzureServices'
      defaultAction: 'Deny'
      ipRules: []
      virtualNetworkRules: []
    }
  }
}

var rotationPolicy = {
  attributes: {
    expiryTime: keyExpiry
  }
  lifetimeActions: [
    {
      trigger: {
        timeAfterCreate: rotateAfter
      }
      action: {
        type: 'rotate'
      }
    }
    {
      trigger: {
        timeBeforeExpiry: 'P30D'
      }
      action: {
        type: 'notify'
      }
    }
  ]
}

resource evidenceKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: vault
  name: evidenceKeyName
  tags: tags
  properties: {
    kty: 'RSA-HSM'
    keySize: 3072
    keyOps: [
      'wrapKey'
      'unwrapKey'
    ]
    attributes: {
      enabled: true
      exportable: false
    }
    rotationPolicy: rotationPolicy
  }
}

resource storageKey 'Microsoft.KeyVault/vaults/keys@2023-07-01' = {
  parent: vault
  name: storageKeyName
  tags: tags
  properties: {
    kty: 'RSA-HSM'
    keySize: 3072
    keyOps: [
      'wrapKey'
      'unwrapKey'
    ]
    attributes: {
      enabled: true
      exportable: false
    }
    rotationPolicy: rotationPolicy
  }
}

// Role assignments are scoped to the individual key, not the vault: least privilege.
resource evidenceKeyRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for ra in evidenceKeyRoleAssignments: {
    name: guid(evidenceKey.id, ra.principalId, ra.roleDefinitionId)
    scope: evidenceKey
    properties: {
      principalId: ra.principalId
      principalType: ra.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ra.roleDefinitionId)
      description: ra.?description ?? ''
    }
  }
]

resource storageKeyRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for ra in storageKeyRoleAssignments: {
    name: guid(storageKey.id, ra.principalId, ra.roleDefinitionId)
    scope: storageKey
    properties: {
      principalId: ra.principalId
      principalType: ra.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ra.roleDefinitionId)
      description: ra.?description ?? ''
    }
  }
]

resource vaultRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for ra in vaultRoleAssignments: {
    name: guid(vault.id, ra.principalId, ra.roleDefinitionId)
    scope: vault
    properties: {
      principalId: ra.principalId
      principalType: ra.principalType
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', ra.roleDefinitionId)
      description: ra.?description ?? ''
    }
  }
]

resource diagnostics 'Microsoft.Insights/diagnosticSettings@2021-05-01-preview' = {
  name: 'audit-to-log-analytics'
  scope: vault
  properties: {
    workspaceId: logAnalyticsWorkspaceId
    logAnalyticsDestinationType: 'Dedicated'
    logs: [
      {
        // allLogs includes the AuditEvent category used by the Key Vault access-failure alert.
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
    name: '${privateLink.namePrefix}${name}-vault'
    location: location
    tags: tags
    subnetId: privateLink.subnetId
    targetResourceId: vault.id
    groupId: 'vault'
    privateDnsZoneId: privateLink.dnsZoneIds.vault
  }
}

@description('The name of the vault.')
output name string = vault.name

@description('The resource id of the vault.')
output resourceId string = vault.id

@description('The vault URI (KEYVAULT__uri).')
output uri string = vault.properties.vaultUri

@description('Name of the evidence key-encryption key.')
output evidenceKeyName string = evidenceKey.name

@description('Resource id of the evidence key-encryption key.')
output evidenceKeyResourceId string = evidenceKey.id

@description('Name of the storage encryption key.')
output storageKeyName string = storageKey.name
