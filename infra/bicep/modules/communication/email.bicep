metadata description = 'Police e-mail notifications: Azure Communication Services linked to an Email Communication Service with an Azure-managed sender domain. Data at rest in the geography\'s ACS data location, Entra ID only (local auth off), send permission through a narrow custom role.'

import { communicationDataLocationType } from '../../types.bicep'

@description('Required. Name of the Communication Services resource (globally unique: it is the endpoint host name).')
@minLength(1)
@maxLength(63)
param communicationServiceName string

@description('Required. Name of the Email Communication Service.')
@minLength(1)
@maxLength(63)
param emailServiceName string

@description('Required. ACS data location (data at rest); derived from the geography of the stamp. ACS and the e-mail service must share it to be linked.')
param dataLocation communicationDataLocationType

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Optional. Principals (managed identities) allowed to send e-mail through the Communication Services resource.')
param senderPrincipalIds string[] = []

// ACS resources are `global` ARM resources; where their data rests is `dataLocation`, not `location`.
resource emailService 'Microsoft.Communication/emailServices@2025-05-01' = {
  name: emailServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
  }
}

// Azure-managed domain (<guid>.azurecomm.net, sender DoNotReply@…): no DNS work, low sending limits.
// Production stamps should add a verified custom domain (see infra/README.md, "Police e-mail").
resource managedDomain 'Microsoft.Communication/emailServices/domains@2025-05-01' = {
  parent: emailService
  name: 'AzureManagedDomain'
  location: 'global'
  tags: tags
  properties: {
    domainManagement: 'AzureManaged'
    // No tracking pixels or rewritten links in messages to police.
    userEngagementTracking: 'Disabled'
  }
}

resource communication 'Microsoft.Communication/communicationServices@2025-05-01' = {
  name: communicationServiceName
  location: 'global'
  tags: tags
  properties: {
    dataLocation: dataLocation
    linkedDomains: [
      managedDomain.id
    ]
    // No access keys or connection strings: the app sends with its managed identity.
    disableLocalAuth: true
  }
}

// There is no narrow built-in role for sending e-mail: the only ACS built-in role, "Communication and
// Email Service Owner", can list and regenerate keys and delete the resources. Microsoft documents this
// custom role for Entra ID e-mail sending instead. It is assignable only inside this resource group.
resource emailSenderRole 'Microsoft.Authorization/roleDefinitions@2022-04-01' = {
  name: guid(resourceGroup().id, 'bystander-acs-email-sender')
  properties: {
    roleName: 'Bystander ACS Email Sender (${resourceGroup().name})'
    description: 'Send e-mail through the stamp Azure Communication Services resource with Entra ID. No keys, no delete.'
    type: 'CustomRole'
    assignableScopes: [
      resourceGroup().id
    ]
    permissions: [
      {
        actions: [
          'Microsoft.Communication/CommunicationServices/Read'
          'Microsoft.Communication/CommunicationServices/Write'
          'Microsoft.Communication/EmailServices/write'
        ]
        notActions: []
        dataActions: []
        notDataActions: []
      }
    ]
  }
}

resource senderRoles 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for principalId in senderPrincipalIds: {
    name: guid(communication.id, principalId, emailSenderRole.id)
    scope: communication
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: emailSenderRole.id
      description: 'Send police notifications (ACS_EMAIL__endpoint)'
    }
  }
]

@description('The name of the Communication Services resource.')
output name string = communication.name

@description('The resource id of the Communication Services resource.')
output resourceId string = communication.id

@description('Endpoint of the Communication Services resource (ACS_EMAIL__endpoint).')
output endpoint string = 'https://${communication.properties.hostName}'

@description('Sender address on the Azure-managed domain (ACS_EMAIL_SENDER).')
output senderAddress string = 'DoNotReply@${managedDomain.properties.mailFromSenderDomain}'

@description('The name of the Email Communication Service.')
output emailServiceName string = emailService.name
