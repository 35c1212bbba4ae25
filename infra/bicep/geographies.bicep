// Geography catalogue: the only file (with the .bicepparam files) where Azure region names appear.
// `communicationDataLocation` is the Azure Communication Services data location (a geography, not a
// region) that holds the stamp's e-mail notification data at rest.
// Serverless GPU profiles are not offered in every region: check availability before choosing a
// primaryRegion (the redaction job runs there). `visionRegion` (optional) is where the optional Azure AI
// Vision plate detector runs: the nearest allowed region that offers Image Analysis 4.0 (Read, People);
// leave it unset where no region of the geography does (the feature then stays off there; BYS-LOC-004
// checks it against allowedRegions and the documented list). A stamp's primaryRegion, secondaryRegion and every region its "Allowed locations" policy permits come
// from here. To add a geography, add an entry, then a params/<name>.bicepparam (see infra/README.md).

metadata description = 'Bystander geographies (jurisdictions) and their Azure regions.'

@export()
@description('Australia: data stays in Australian regions.')
var australia = {
  name: 'australia'
  code: 'au'
  primaryRegion: 'australiaeast'
  secondaryRegion: 'australiasoutheast'
  allowedRegions: [
    'australiaeast'
    'australiasoutheast'
    'australiacentral'
    'australiacentral2'
  ]
  addressSpace: '10.61.0.0/22'
  gpuProfile: 'T4'
  // Image Analysis 4.0 is offered in Australia East (the primary region) among the Australian regions.
  visionRegion: 'australiaeast'
  communicationDataLocation: 'Australia'
}

@export()
@description('New Zealand: a single region, so no Cosmos DB failover region.')
var newzealand = {
  name: 'newzealand'
  code: 'nz'
  primaryRegion: 'newzealandnorth'
  allowedRegions: [
    'newzealandnorth'
  ]
  addressSpace: '10.62.0.0/22'
  gpuProfile: 'T4'
  // No visionRegion: New Zealand North does not offer Image Analysis 4.0, so the Azure AI Vision plate
  // detector stays off here (frames would have to leave the geography).
  // Azure Communication Services has no New Zealand data location: police e-mail notifications (share
  // link, incident reference) rest in Australia. A documented exception; see infra/README.md.
  communicationDataLocation: 'Australia'
}

@export()
@description('United Kingdom: data stays in UK regions.')
var uk = {
  name: 'uk'
  code: 'uk'
  primaryRegion: 'uksouth'
  secondaryRegion: 'ukwest'
  allowedRegions: [
    'uksouth'
    'ukwest'
  ]
  addressSpace: '10.63.0.0/22'
  gpuProfile: 'T4'
  // No visionRegion: neither UK South nor UK West offers Image Analysis 4.0; the Azure AI Vision plate
  // detector stays off here.
  communicationDataLocation: 'UK'
}

@export()
@description('United States: data stays in US regions.')
var us = {
  name: 'us'
  code: 'us'
  primaryRegion: 'westus3'
  secondaryRegion: 'eastus2'
  allowedRegions: [
    'eastus'
    'eastus2'
    'centralus'
    'westus2'
    'westus3'
  ]
  addressSpace: '10.64.0.0/22'
  gpuProfile: 'T4'
  // Image Analysis 4.0 is offered in West US 2 and East US among the allowed regions; West US 2 is the
  // nearest to the primary region (West US 3).
  visionRegion: 'westus2'
  communicationDataLocation: 'United States'
}

@export()
@description('Every geography by name, for lookups such as the azd parameter file.')
var geographyCatalog = {
  australia: australia
  newzealand: newzealand
  uk: uk
  us: us
}

@export()
@description('Address ranges of known bad actors, denied at every stamp. Maintained by operations; keep each entry commented with its source and date.')
var deniedCidrs = []
