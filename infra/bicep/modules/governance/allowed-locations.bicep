metadata description = 'Assigns the built-in "Allowed locations" policy to the stamp resource group with the regions of its geography (deny on create/update).'

@description('Required. Name of the policy assignment.')
@maxLength(64)
param name string

@description('Required. Geography the stamp serves (display text).')
param geographyName string

@description('Required. Regions resources of this resource group may be created in; the allowedRegions of the geography.')
@minLength(1)
param allowedRegions string[]

// Built-in definition "Allowed locations" (global resources are exempt by the definition itself).
var allowedLocationsDefinitionId = tenantResourceId('Microsoft.Authorization/policyDefinitions', 'e56962a6-4747-49cd-b67b-bf8b01975c4c')

resource assignment 'Microsoft.Authorization/policyAssignments@2024-04-01' = {
  name: name
  properties: {
    displayName: 'Bystander ${geographyName}: resources stay in the geography'
    description: 'Data residency of the ${geographyName} stamp: every resource of this resource group must be in ${join(allowedRegions, ', ')}.'
    policyDefinitionId: allowedLocationsDefinitionId
    enforcementMode: 'Default'
    parameters: {
      listOfAllowedLocations: {
        value: allowedRegions
      }
    }
    nonComplianceMessages: [
      {
        message: 'Bystander stamps keep every resource inside their geography (${join(allowedRegions, ', ')}).'
      }
    ]
  }
}

@description('The name of the policy assignment.')
output name string = assignment.name

@description('The resource id of the policy assignment.')
output resourceId string = assignment.id
