#!/usr/bin/env bash
# Creates the app's Key Vault secrets (AUDIT_ORIGIN_KEY, and SHARE_WEBHOOK_SECRET when webhooks are on)
# by starting the stamp's bootstrap job and waiting for it. The job runs inside the stamp network (the
# vault has no public endpoint), generates each value from /dev/urandom and writes it only if the secret
# is absent: re-running never changes a value, and no value passes through this machine, a template
# parameter, an output or the deployment history. Then it asks the function app to re-resolve its Key
# Vault references.
#
# Usage: app-secrets.sh [resource-group bootstrap-job function-app]
#   defaults: AZURE_RESOURCE_GROUP, AZURE_BOOTSTRAP_JOB_NAME, AZURE_FUNCTION_APP_NAME (azd env)
set -euo pipefail

rg="${1:-${AZURE_RESOURCE_GROUP:?set AZURE_RESOURCE_GROUP or pass the resource group}}"
job="${2:-${AZURE_BOOTSTRAP_JOB_NAME:?set AZURE_BOOTSTRAP_JOB_NAME or pass the bootstrap job}}"
app="${3:-${AZURE_FUNCTION_APP_NAME:-}}"

echo "Key Vault secrets: starting ${job}"
execution="$(az containerapp job start --resource-group "$rg" --name "$job" --query name --output tsv --only-show-errors)"

status=""
for _ in $(seq 1 90); do
  status="$(az containerapp job execution show --resource-group "$rg" --name "$job" \
    --job-execution-name "$execution" --query properties.status --output tsv --only-show-errors 2>/dev/null || true)"
  case "$status" in
    Succeeded) break ;;
    Failed|Stopped|Degraded)
      echo "Bootstrap execution ${execution} ended ${status}; its log is in Log Analytics (ContainerAppConsoleLogs, ContainerJobName_s == '${job}')." >&2
      exit 1 ;;
  esac
  sleep 10
done
if [ "$status" != "Succeeded" ]; then
  echo "Bootstrap execution ${execution} did not finish in 15 minutes (status: ${status:-unknown})." >&2
  exit 1
fi
echo "Key Vault secrets are in place (created only where absent)."

# Key Vault references are cached by the platform (refreshed about daily): ask for a refresh now.
if [ -n "$app" ]; then
  app_id="$(az functionapp show --resource-group "$rg" --name "$app" --query id --output tsv --only-show-errors)"
  az rest --method post --only-show-errors --output none \
    --url "https://management.azure.com${app_id}/config/configreferences/appsettings/refresh?api-version=2022-03-01" \
    || echo "Could not refresh Key Vault references of ${app}; they refresh by themselves within 24 hours (or restart the app)." >&2
fi
