#!/usr/bin/env pwsh
# azd postdeploy hook (Windows): app secrets (idempotent; also the postprovision hook), worker image,
# then the Event Grid -> onEvidenceUploaded (Event Grid trigger) subscription.
$ErrorActionPreference = 'Stop'
& "$PSScriptRoot/app-secrets.ps1"
& "$PSScriptRoot/worker-image.ps1"
& "$PSScriptRoot/event-subscription.ps1"
