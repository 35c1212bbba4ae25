#!/usr/bin/env bash
# azd postprovision hook (POSIX): create the app's Key Vault secrets before any code runs.
# Wire it in azure.yaml (hooks.postprovision); postdeploy runs it too, so an unwired setup still works.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/app-secrets.sh"
