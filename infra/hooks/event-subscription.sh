#!/usr/bin/env bash
# Wires Event Grid BlobCreated events of the stamp's `ingest` container to the function app's blob
# trigger (Event Grid source): onEvidenceUploaded.
#
# Why a hook and not Bicep: the webhook URL must carry the `blobs_extension` system key, which the
# Functions host creates only after code with a blob trigger has been deployed and started. Reading it
# at deploy time keeps the key out of template parameters, outputs and deployment history.
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

# The key appears a little after the first start of the deployed code; wait up to 5 minutes.
key=""
for _ in $(seq 1 30); do
  key="$(az functionapp keys list --resource-group "$rg" --name "$app" \
    --query "systemKeys.blobs_extension" --output tsv 2>/dev/null || true)"
  [ -n "$key" ] && break
  sleep 10
done
if [ -z "$key" ]; then
  echo "The blobs_extension system key does not exist yet: deploy the function code (azd deploy api) and re-run." >&2
  exit 1
fi

# Flex Consumption apps may have a regional default host name, so ask for it instead of assuming <app>.azurewebsites.net.
host="$(az functionapp show --resource-group "$rg" --name "$app" --query defaultHostName --output tsv)"
endpoint="https://${host}/runtime/webhooks/blobs?functionName=Host.Functions.${function_name}&code=${key}"

# create is a PUT: re-running updates the subscription (e.g. after a key rotation). Never echo $endpoint.
az eventgrid system-topic event-subscription create \
  --name "$subscription_name" \
  --resource-group "$rg" \
  --system-topic-name "$topic" \
  --endpoint-type webhook \
  --endpoint "$endpoint" \
  --included-event-types Microsoft.Storage.BlobCreated \
  --subject-begins-with /blobServices/default/containers/ingest/ \
  --max-delivery-attempts 30 \
  --event-ttl 1440 \
  --only-show-errors --output none

echo "Event Grid subscription ${subscription_name} is in place."
