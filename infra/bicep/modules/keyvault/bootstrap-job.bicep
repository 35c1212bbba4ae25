metadata description = 'One-shot secrets bootstrap: a manual Container Apps job in the stamp environment (inside the network, like the vault) that creates the app\'s Key Vault secrets from random bytes when they are absent. The deploy hook starts it; no secret value passes through the template.'

import { identityRefType } from '../../types.bicep'

@description('Required. Name of the job.')
param name string

@description('Required. Azure region; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resource.')
param tags object = {}

@description('Required. Resource id of the Container Apps environment (its Consumption profile runs the job).')
param environmentId string

@description('Required. Identity of the job: Key Vault Secrets Officer on the stamp vault, nothing else.')
param identity identityRefType

@description('Required. Key Vault URI.')
param keyVaultUri string

@description('Required. Secrets to create when absent, as "name:bytes" (e.g. "audit-origin-key-origin-1:32"). Names only: values are generated inside the job.')
@minLength(1)
param secretSpecs string[]

@description('Optional. Image with bash, curl, base64 and python3. Pin by digest for production.')
param image string = 'mcr.microsoft.com/azure-cli:latest'

resource job 'Microsoft.App/jobs@2025-01-01' = {
  name: name
  location: location
  tags: tags
  identity: {
    type: 'UserAssigned'
    userAssignedIdentities: {
      '${identity.resourceId}': {}
    }
  }
  properties: {
    environmentId: environmentId
    workloadProfileName: 'Consumption'
    configuration: {
      // Started by infra/hooks/app-secrets.sh (az containerapp job start); idempotent.
      triggerType: 'Manual'
      replicaTimeout: 900
      replicaRetryLimit: 1
      manualTriggerConfig: {
        parallelism: 1
        replicaCompletionCount: 1
      }
    }
    template: {
      containers: [
        {
          name: 'secrets-bootstrap'
          image: image
          command: [
            '/bin/bash'
            '-c'
          ]
          args: [
            loadTextContent('secrets-bootstrap.sh')
          ]
          resources: {
            cpu: json('0.5')
            memory: '1Gi'
          }
          env: [
            { name: 'KEYVAULT_URI', value: keyVaultUri }
            { name: 'AZURE_CLIENT_ID', value: identity.clientId }
            { name: 'SECRETS', value: join(secretSpecs, ' ') }
          ]
        }
      ]
    }
  }
}

@description('The name of the job.')
output name string = job.name

@description('The resource id of the job.')
output resourceId string = job.id
