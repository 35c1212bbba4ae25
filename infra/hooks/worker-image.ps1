#!/usr/bin/env pwsh
# Builds the redaction worker image in the stamp's own registry and points the redaction job at it.
# See worker-image.sh.
param(
  [string]$ResourceGroup = $env:AZURE_RESOURCE_GROUP,
  [string]$Registry = $env:AZURE_CONTAINER_REGISTRY_NAME,
  [string]$Job = $env:AZURE_REDACTION_JOB_NAME,
  [string]$Dockerfile = $(if ($env:BYSTANDER_WORKER_DOCKERFILE) { $env:BYSTANDER_WORKER_DOCKERFILE } else { 'worker/Dockerfile' }),
  # worker/Dockerfile has two stages; the job runs on a GPU profile, and without --target the last (cpu) stage is built.
  [string]$Target = $(if ($env:BYSTANDER_WORKER_TARGET) { $env:BYSTANDER_WORKER_TARGET } else { 'gpu' })
)
$ErrorActionPreference = 'Stop'
if (-not (Test-Path $Dockerfile)) { Write-Host "No $Dockerfile`: the redaction job keeps its current image."; exit 0 }
$tag = if ($env:BYSTANDER_WORKER_TAG) { $env:BYSTANDER_WORKER_TAG } else { (git rev-parse --short HEAD 2>$null) ?? (Get-Date -Format 'yyyyMMddHHmmss') }
$loginServer = az acr show --name $Registry --query loginServer --output tsv
$image = "$loginServer/bystander-worker:$tag"
az acr build --registry $Registry --image "bystander-worker:$tag" --file $Dockerfile --target $Target . --only-show-errors --output none
if ($LASTEXITCODE -ne 0) { throw 'az acr build failed.' }
az containerapp job update --resource-group $ResourceGroup --name $Job --image $image --only-show-errors --output none
if ($LASTEXITCODE -ne 0) { throw 'az containerapp job update failed.' }
if (Get-Command azd -ErrorAction SilentlyContinue) { azd env set BYSTANDER_WORKER_IMAGE $image | Out-Null }
Write-Host "Redaction job $Job runs $image."
