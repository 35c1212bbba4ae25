#!/usr/bin/env bash
# azd postdeploy hook (POSIX): app secrets (idempotent; also the postprovision hook), worker image,
# then the Event Grid → onEvidenceUploaded (Event Grid trigger) subscription.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
"$here/app-secrets.sh"
"$here/worker-image.sh"
"$here/event-subscription.sh"
