#!/usr/bin/env pwsh
# azd postdeploy hook (Windows): worker image, then the Event Grid -> onEvidenceUploaded (Event Grid trigger) subscription.
$ErrorActionPreference = 'Stop'
& "$PSScriptRoot/worker-image.ps1"
& "$PSScriptRoot/event-subscription.ps1"
