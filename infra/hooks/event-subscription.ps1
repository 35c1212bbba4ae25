#!/usr/bin/env pwsh
# Wires Event Grid BlobCreated events of the stamp's `ingest` container to the function app's Event Grid
# trigger onEvidenceUploaded (endpoint type AzureFunction, no key in any URL). See event-subscription.sh.
# Usage: event-subscription.ps1 [-ResourceGroup rg] [-FunctionApp app] [-SystemTopic topic]
param(
  [string]$ResourceGroup = $env:AZURE_RESOURCE_GROUP,
  [string]$FunctionApp = $env:AZURE_FUNCTION_APP_NAME,
  [string]$SystemTopic = $env:AZURE_EVENTGRID_SYSTEM_TOPIC_NAME,
  [string]$FunctionName = $(if ($env:BYSTANDER_BLOB_FUNCTION) { $env:BYSTANDER_BLOB_FUNCTION } else { 'onEvidenceUploaded' })
)
$ErrorActionPreference = 'Stop'
Set-StrictMode -Version Latest
foreach ($name in 'ResourceGroup', 'FunctionApp', 'SystemTopic') {
  if (-not (Get-Variable $name -ValueOnly)) { throw "$name is required (parameter or azd environment value)." }
}
$subscriptionName = 'ingest-blob-created'
Write-Host "Event Grid: $SystemTopic -> $FunctionApp ($FunctionName)"

$appId = az functionapp show --resource-group $ResourceGroup --name $FunctionApp --query id --output tsv
$endpoint = "$appId/functions/$FunctionName"
for ($i = 0; $i -lt 30; $i++) {
  az functionapp function show --resource-group $ResourceGroup --name $FunctionApp --function-name $FunctionName --only-show-errors --output none 2>$null
  if ($LASTEXITCODE -eq 0) { break }
  Start-Sleep -Seconds 10
}

az eventgrid system-topic event-subscription create `
  --name $subscriptionName `
  --resource-group $ResourceGroup `
  --system-topic-name $SystemTopic `
  --endpoint-type azurefunction `
  --endpoint $endpoint `
  --included-event-types Microsoft.Storage.BlobCreated `
  --subject-begins-with /blobServices/default/containers/ingest/ `
  --max-delivery-attempts 30 `
  --max-events-per-batch 1 `
  --event-ttl 1440 `
  --only-show-errors --output none
if ($LASTEXITCODE -ne 0) { throw 'Creating the Event Grid subscription failed.' }
Write-Host "Event Grid subscription $subscriptionName is in place."
