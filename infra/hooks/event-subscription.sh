#!/usr/bin/env bash
# Wires Event Grid BlobCreated events of the stamp's `ingest` container to the function app's Event
# Grid trigger `onEvidenceUploaded` (endpoint type AzureFunction: delivery authenticated by Azure, no
# function key in any URL). The app takes the event, not the blob-trigger payload, because the Node
# worker would materialise the whole blob in memory; the handler streams it with the SDK instead.
#
# Why a hook and not Bicep: Event Grid validates that the target function exists, and it exists only
# once the code is deployed (azd postdeploy).
#
# Usage: event-subscription.sh [resource-group function-app system-topic]
#   defaults: AZURE_RESOURCE_GROUP, AZURE_FUNCTION_APP_NAME, AZURE_EVENTGRID_SYSTEM_TOPIC_NAME (azd env)
set -euo pipefail

rg="${1:-${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP or pass the resource group}}"
app="${2:-${AZURE_FUNCTION_APP_NAME:?set AZURE_FUNCTION_APP_NAME or pass the function app}}"
topic="${3:-${AZURE_EVENTGRID_SYSTEM_TOPIC_NAME:?set AZURE_EVENTGRID_SYSTEM_TOPIC_NAME or pass the system topic}}"
function_name="${BYSTANDER_BLOB_FUNCTION:-onEvidenceUploaded}"
subscription_name="ingest-blob-created"

echo "Event Grid: ${topic} → ${app} (${function_name})"

# The function appears a little after the first start of the deployed code; wait up to 5 minutes.
app_id="$(az functionapp show --resource-group "$rg" --name "$app" --query id --output tsv)"
endpoint="${app_id}/functions/${function_name}"
for _ in $(seq 1 30); do
  az functionapp function show --resource-group "$rg" --name "$app" --function-name "$function_name" \
    --only-show-errors --output none 2>/dev/null && break
  sleep 10
done

# create is a PUT: re-running updates the subscription.
az eventgrid system-topic event-subscription create \
  --name "$subscription_name" \
  --resource-group "$rg" \
  --system-topic-name "$topic" \
  --endpoint-type azurefunction \
  --endpoint "$endpoint" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with /blobServices/default/containers/ingest/ \
  --max-delivery-attempts 30 \
  --max-events-per-batch 1 \
  --event-ttl 1440 \
  --only-show-errors --output none

echo "Event Grid subscription ${subscription_name} is in place."
