#!/usr/bin/env bash
# Builds the redaction worker image in the stamp's own registry (the build runs in the geography)
# and points the redaction job at it. Skipped when the repository has no worker Dockerfile yet.
# Usage: worker-image.sh [resource-group registry-name job-name]
set -euo pipefail

rg="${1:-${AZURE_RESOURCE_GROUP:?}}"
registry="${2:-${AZURE_CONTAINER_REGISTRY_NAME:?}}"
job="${3:-${AZURE_REDACTION_JOB_NAME:?}}"
dockerfile="${BYSTANDER_WORKER_DOCKERFILE:-worker/Dockerfile}"
# worker/Dockerfile has two stages; the job runs on a GPU profile, and without --target the last (cpu) stage is built.
target="${BYSTANDER_WORKER_TARGET:-gpu}"
tag="${BYSTANDER_WORKER_TAG:-$(git rev-parse --short HEAD 2>/dev/null || date +%Y%m%d%H%M%S)}"

if [ ! -f "$dockerfile" ]; then
  echo "No ${dockerfile}: the redaction job keeps its current image."
  exit 0
fi

image="$(az acr show --name "$registry" --query loginServer --output tsv)/bystander-worker:${tag}"
az acr build --registry "$registry" --image "bystander-worker:${tag}" --file "$dockerfile" --target "$target" . --only-show-errors --output none
az containerapp job update --resource-group "$rg" --name "$job" --image "$image" --only-show-errors --output none
# Keep the image across `azd provision` (main.bicepparam reads BYSTANDER_WORKER_IMAGE).
if command -v azd >/dev/null 2>&1; then azd env set BYSTANDER_WORKER_IMAGE "$image" >/dev/null; fi
echo "Redaction job ${job} runs ${image}."
