metadata description = 'Event Grid system topic on the stamp storage account. The BlobCreated subscription to the onEvidenceUploaded Event Grid trigger (endpoint type AzureFunction) is created after code deployment by infra/hooks/event-subscription.(sh|ps1), because Event Grid validates that the target function exists.'

@description('Required. Name of the system topic.')
param name string

@description('Required. Azure region; the region of the storage account, derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resource.')
param tags object = {}

@description('Required. Resource id of the stamp storage account (the event source).')
param storageAccountId string

resource topic 'Microsoft.EventGrid/systemTopics@2022-06-15' = {
  name: name
  location: location
  tags: tags
  properties: {
    source: storageAccountId
    topicType: 'Microsoft.Storage.StorageAccounts'
  }
}

@description('The name of the system topic.')
output name string = topic.name

@description('The resource id of the system topic.')
output resourceId string = topic.id

@description('Subject filter of the BlobCreated subscription the hook creates (ingest container only).')
output ingestSubjectPrefix string = '/blobServices/default/containers/ingest/'
