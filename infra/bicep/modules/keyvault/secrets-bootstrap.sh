# Secrets bootstrap (runs as `bash -c` in the stamp's manual Container Apps job, inside the stamp
# network: the vault has no public endpoint). For each "name:bytes" in SECRETS it creates the Key Vault
# secret `name` with `bytes` random bytes (base64) from the kernel CSPRNG, ONLY IF the secret does not
# exist; a soft-deleted secret is recovered instead (its value must not change). Values go from
# /dev/urandom straight to Key Vault: never to template parameters, outputs, logs or an operator.
# Env: KEYVAULT_URI (https://<vault>.vault.azure.net/), AZURE_CLIENT_ID (bootstrap identity), SECRETS.
set -euo pipefail
umask 077
vault="${KEYVAULT_URI%/}"
api='api-version=7.4'
hdr="$(mktemp)"
trap 'rm -f "$hdr"' EXIT

token() {
  local res='https%3A%2F%2Fvault.azure.net'
  if [ -n "${IDENTITY_ENDPOINT:-}" ] && [ -n "${IDENTITY_HEADER:-}" ]; then
    curl -fsS -H "X-IDENTITY-HEADER: ${IDENTITY_HEADER}" \
      "${IDENTITY_ENDPOINT}?api-version=2019-08-01&resource=${res}&client_id=${AZURE_CLIENT_ID}"
  else
    curl -fsS -H 'Metadata: true' \
      "http://169.254.169.254/metadata/identity/oauth2/token?api-version=2018-02-01&resource=${res}&client_id=${AZURE_CLIENT_ID}"
  fi | python3 -c 'import json,sys; print(json.load(sys.stdin)["access_token"])'
}

# The bearer token goes to curl through a 0600 header file, not the command line.
printf 'Authorization: Bearer %s\n' "$(token)" > "$hdr"

status() { curl -s -o /dev/null -w '%{http_code}' -H @"$hdr" "$@"; }

for spec in ${SECRETS}; do
  name="${spec%%:*}"
  bytes="${spec##*:}"
  # Role assignments can take minutes to propagate: retry 401/403 for up to 10 minutes.
  for attempt in $(seq 1 20); do
    code="$(status "${vault}/secrets/${name}?${api}")"
    case "$code" in
      401|403) echo "${name}: access not yet effective (${code}), retrying"; sleep 30 ;;
      *) break ;;
    esac
  done
  case "$code" in
    200)
      echo "${name}: exists, unchanged" ;;
    404)
      if [ "$(status "${vault}/deletedsecrets/${name}?${api}")" = 200 ]; then
        curl -fsS -o /dev/null -X POST -H @"$hdr" "${vault}/deletedsecrets/${name}/recover?${api}"
        echo "${name}: recovered from soft delete (value unchanged)"
      else
        # printf is a shell builtin: the value never appears in a process argument list.
        value="$(head -c "$bytes" /dev/urandom | base64 | tr -d '\n')"
        printf '{"value":"%s","contentType":"base64; %s random bytes","attributes":{"enabled":true}}' "$value" "$bytes" |
          curl -fsS -o /dev/null -X PUT -H @"$hdr" -H 'Content-Type: application/json' --data-binary @- \
            "${vault}/secrets/${name}?${api}"
        unset value
        echo "${name}: created (${bytes} random bytes)"
      fi ;;
    *)
      echo "${name}: unexpected status ${code} from Key Vault" >&2
      exit 1 ;;
  esac
done
