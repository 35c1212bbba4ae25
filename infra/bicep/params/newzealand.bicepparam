// Stamp for the newzealand geography.
//   az deployment sub create --name bystander-newzealand --location <primaryRegion> \
//     --template-file infra/bicep/main.bicep --parameters infra/bicep/params/newzealand.bicepparam
using '../main.bicep'

import { newzealand, deniedCidrs } from '../geographies.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'prod')

param geographies = [
  newzealand
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
