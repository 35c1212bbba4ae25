// Stamp for the us geography.
//   az deployment sub create --name bystander-us --location <primaryRegion> \
//     --template-file infra/bicep/main.bicep --parameters infra/bicep/params/us.bicepparam
using '../main.bicep'

import { us, deniedCidrs } from '../geographies.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'prod')

param geographies = [
  us
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
