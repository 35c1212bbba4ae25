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
}
