#!/usr/bin/env pwsh
# Wires Event Grid BlobCreated events of the stamp's `ingest` container to the function app's blob
# trigger (Event Grid source): onEvidenceUploaded. See event-subscription.sh for why this is a hook.
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

$key = $null
for ($i = 0; $i -lt 30 -and -not $key; $i++) {
  $key = az functionapp keys list --resource-group $ResourceGroup --name $FunctionApp `
    --query 'systemKeys.blobs_extension' --output tsv 2>$null
  if (-not $key) { Start-Sleep -Seconds 10 }
}
if (-not $key) { throw 'The blobs_extension system key does not exist yet: deploy the function code (azd deploy api) and re-run.' }

$hostName = az functionapp show --resource-group $ResourceGroup --name $FunctionApp --query defaultHostName --output tsv
$endpoint = "https://$hostName/runtime/webhooks/blobs?functionName=Host.Functions.$FunctionName&code=$key"

az eventgrid system-topic event-subscription create `
  --name $subscriptionName `
  --resource-group $ResourceGroup `
  --system-topic-name $SystemTopic `
  --endpoint-type webhook `
  --endpoint $endpoint `
  --included-event-types Microsoft.Storage.BlobCreated `
  --subject-begins-with /blobServices/default/containers/ingest/ `
  --max-delivery-attempts 30 `
  --event-ttl 1440 `
  --only-show-errors --output none
if ($LASTEXITCODE -ne 0) { throw 'Creating the Event Grid subscription failed.' }
Write-Host "Event Grid subscription $subscriptionName is in place."
