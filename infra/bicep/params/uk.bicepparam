// Stamp for the uk geography.
//   az deployment sub create --name bystander-uk --location <primaryRegion> \
//     --template-file infra/bicep/main.bicep --parameters infra/bicep/params/uk.bicepparam
using '../main.bicep'

import { uk, deniedCidrs } from '../geographies.bicep'

param environmentName = readEnvironmentVariable('AZURE_ENV_NAME', 'prod')

param geographies = [
  uk
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
