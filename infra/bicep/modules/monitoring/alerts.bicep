metadata description = 'Stamp alerts: quarantined evidence, stuck orchestrations, failed deletions and Key Vault access failures, sent to one action group.'

@description('Required. Name of the action group.')
param actionGroupName string

@description('Required. Prefix of the alert rule names.')
param alertPrefix string

@description('Required. Azure region of the alert rules; derived from the geography of the stamp.')
param location string

@description('Optional. Tags of the resources.')
param tags object = {}

@description('Required. Log Analytics workspace the rules query (Application Insights and Key Vault logs land there).')
param logAnalyticsWorkspaceId string

@description('Optional. Email recipients of the alerts.')
param alertEmails string[] = []

@description('Optional. An orchestration without progress for this many hours counts as stuck.')
@minValue(1)
param stuckOrchestrationHours int = 6

resource actionGroup 'Microsoft.Insights/actionGroups@2023-01-01' = {
  name: actionGroupName
  // Action groups are a global resource type; notifications carry ids and counts only, never evidence.
  location: 'global'
  tags: tags
  properties: {
    groupShortName: take(replace(actionGroupName, '-', ''), 12)
    enabled: true
    emailReceivers: [
      for (email, i) in alertEmails: {
        name: 'email-${i}'
        emailAddress: email
        useCommonAlertSchema: true
      }
    ]
  }
}

// The app writes structured traces with customDimensions.event (see README, "Alerts").
var rules = [
  {
    name: 'quarantined-evidence'
    displayName: 'Evidence quarantined'
    description: 'A redaction failed, timed out or could not be verified; the evidence is quarantined and not shareable.'
    severity: 2
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'AppTraces | where tostring(Properties.event) == "evidence.quarantined" | summarize quarantined = count() by bin(TimeGenerated, 5m), reason = tostring(Properties.reason)'
  }
  {
    name: 'stuck-orchestrations'
    displayName: 'Evidence orchestration stuck'
    description: 'An orchestration has not progressed for longer than the redaction timeout allows.'
    severity: 2
    frequency: 'PT30M'
    window: 'P1D'
    query: 'AppTraces | where Properties.Category == "Host.Triggers.DurableTask" and isnotempty(Properties.prop__instanceId) | extend instanceId = tostring(Properties.prop__instanceId), state = tostring(Properties.prop__state) | summarize arg_max(TimeGenerated, state) by instanceId | where state !in ("Completed", "Failed", "Terminated") and TimeGenerated < ago(${stuckOrchestrationHours}h)'
  }
  {
    name: 'failed-deletions'
    displayName: 'Retention deletion failed'
    description: 'Data whose retention ended could not be deleted; erasure obligations are at risk.'
    severity: 1
    frequency: 'PT15M'
    window: 'PT1H'
    query: 'AppTraces | where tostring(Properties.event) == "deletion.failed" | summarize failed = count() by bin(TimeGenerated, 15m)'
  }
  {
    name: 'key-vault-access-failures'
    displayName: 'Key Vault access denied'
    description: 'Requests to the stamp Key Vault were refused (401/403): a misconfigured identity or an attack.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: 'AZKVAuditLogs | where HttpStatusCode in (401, 403) | summarize denied = count() by bin(TimeGenerated, 5m), OperationName, CallerIpAddress'
  }
]

resource alerts 'Microsoft.Insights/scheduledQueryRules@2023-12-01' = [
  for rule in rules: {
    name: '${alertPrefix}${rule.name}'
    location: location
    tags: tags
    kind: 'LogAlert'
    properties: {
      displayName: rule.displayName
      description: rule.description
      severity: rule.severity
      enabled: true
      evaluationFrequency: rule.frequency
      windowSize: rule.window
      scopes: [
        logAnalyticsWorkspaceId
      ]
      autoMitigate: false
      criteria: {
        allOf: [
          {
            query: rule.query
            timeAggregation: 'Count'
            operator: 'GreaterThan'
            threshold: 0
            failingPeriods: {
              numberOfEvaluationPeriods: 1
              minFailingPeriodsToAlert: 1
            }
          }
        ]
      }
      actions: {
        actionGroups: [
          actionGroup.id
        ]
      }
    }
  }
]

@description('The name of the action group.')
output name string = actionGroup.name

@description('The resource id of the action group.')
output resourceId string = actionGroup.id

@description('Names of the alert rules.')
output alertNames string[] = [for (rule, i) in rules: alerts[i].name]
