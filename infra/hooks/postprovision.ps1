#!/usr/bin/env pwsh
# azd postprovision hook (Windows): create the app's Key Vault secrets before any code runs. See postprovision.sh.
$ErrorActionPreference = 'Stop'
& "$PSScriptRoot/app-secrets.ps1"
