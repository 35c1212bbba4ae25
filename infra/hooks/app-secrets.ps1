#!/usr/bin/env pwsh
# Creates the app's Key Vault secrets by starting the stamp's bootstrap job and waiting for it, then
# refreshes the function app's Key Vault references. See app-secrets.sh.
param(
  [string]$ResourceGroup = $env:AZURE_RESOURCE_GROUP,
  [string]$Job = $env:AZURE_BOOTSTRAP_JOB_NAME,
  [string]$FunctionApp = $env:AZURE_FUNCTION_APP_NAME
)
$ErrorActionPreference = 'Stop'
if (-not $ResourceGroup -or -not $Job) { throw 'Set AZURE_RESOURCE_GROUP and AZURE_BOOTSTRAP_JOB_NAME or pass -ResourceGroup/-Job.' }

Write-Host "Key Vault secrets: starting $Job"
$execution = az containerapp job start --resource-group $ResourceGroup --name $Job --query name --output tsv --only-show-errors
if ($LASTEXITCODE -ne 0 -or -not $execution) { throw 'az containerapp job start failed.' }

$status = ''
for ($i = 0; $i -lt 90; $i++) {
  $status = az containerapp job execution show --resource-group $ResourceGroup --name $Job --job-execution-name $execution --query properties.status --output tsv --only-show-errors 2>$null
  if ($status -eq 'Succeeded') { break }
  if ($status -in @('Failed', 'Stopped', 'Degraded')) {
    throw "Bootstrap execution $execution ended $status; its log is in Log Analytics (ContainerAppConsoleLogs, ContainerJobName_s == '$Job')."
  }
  Start-Sleep -Seconds 10
}
if ($status -ne 'Succeeded') { throw "Bootstrap execution $execution did not finish in 15 minutes (status: $status)." }
Write-Host 'Key Vault secrets are in place (created only where absent).'

if ($FunctionApp) {
  $appId = az functionapp show --resource-group $ResourceGroup --name $FunctionApp --query id --output tsv --only-show-errors
  az rest --method post --only-show-errors --output none --url "https://management.azure.com$appId/config/configreferences/appsettings/refresh?api-version=2022-03-01"
  if ($LASTEXITCODE -ne 0) { Write-Warning "Could not refresh Key Vault references of $FunctionApp; they refresh by themselves within 24 hours (or restart the app)." }
}
