// Parameters for `azd up` (infra/azure.yaml). One azd environment per geography:
//   azd env new bystander-au && azd env set BYSTANDER_GEOGRAPHY australia && azd up
using './main.bicep'

import { geographyCatalog, deniedCidrs } from './geographies.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME')

param geographies = [
  geographyCatalog[readEnvironmentVariable('BYSTANDER_GEOGRAPHY', 'australia')]
]

param sharedSettings = {
  auth: {
    issuer: readEnvironmentVariable('BYSTANDER_AUTH_ISSUER')
    audience: readEnvironmentVariable('BYSTANDER_AUTH_AUDIENCE')
    jwksUri: readEnvironmentVariable('BYSTANDER_AUTH_JWKS_URI')
  }
  deniedCidrs: deniedCidrs
  workerImage: readEnvironmentVariable('BYSTANDER_WORKER_IMAGE', '')
  // Id of the audit origin HMAC key; a new id creates a new Key Vault secret (rotation).
  auditOriginKeyId: readEnvironmentVariable('BYSTANDER_AUDIT_ORIGIN_KEY_ID', 'origin-1')
  // Signed agency webhooks: creates share-webhook-secret and sets SHARE_WEBHOOK_SECRET.
  shareWebhooks: toLower(readEnvironmentVariable('BYSTANDER_SHARE_WEBHOOKS', 'false')) == 'true'
  // Plates by Azure AI Vision in the geography's visionRegion (off by default; no effect where the
  // geography has none). Frames then leave the worker for that in-geography resource.
  azureVisionPlates: toLower(readEnvironmentVariable('BYSTANDER_AZURE_VISION_PLATES', 'false')) == 'true'
}
