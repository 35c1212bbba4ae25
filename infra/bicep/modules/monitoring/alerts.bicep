metadata description = 'Stamp alerts: quarantined evidence, Key Vault and audit-trail failures, failed police notifications, stuck orchestrations, failed deletions and Key Vault access denials, sent to one action group.'

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

@description('Optional. A processEvidence (beyond its review wait, reviewDeadlineHours), deleteIncident or privacyRequest orchestration without progress for this many hours counts as stuck (keep it above REDACTION_TIMEOUT_MINUTES x REDACTION_MAX_ATTEMPTS).')
@minValue(1)
param stuckOrchestrationHours int = 6

@description('Optional. REVIEW_DEADLINE_HOURS of the stamp: a processEvidence orchestration may wait this long for a reviewer before it counts as stuck (plus stuckOrchestrationHours).')
param reviewDeadlineHours int = 72

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

// The app logs one JSON line per event (shared/adapters/console-logger.ts, and ctx.error(JSON.stringify(…))
// in functions/http/api.ts); alert-worthy lines carry an `alert` field. In the workspace they are
// AppTraces.Message (Application Insights `traces.message`); the JSON is parsed from its first `{` in
// case the host prefixes the line.
var alertLines = 'AppTraces | where Message has "alert" | extend line = parse_json(substring(Message, indexof(Message, "{")))'

// Durable Functions tracking traces (Host.Triggers.DurableTask): orchestrations that should finish.
// Retention schedules and share lifecycles sleep for days by design and are left out.
var finiteOrchestrations = '("processEvidence", "deleteIncident", "privacyRequest")'

var rules = [
  {
    name: 'quarantined-evidence'
    displayName: 'Evidence quarantined'
    description: 'A redaction failed, timed out or could not be verified; the evidence is quarantined and not shareable (alert: evidence-quarantined).'
    severity: 2
    frequency: 'PT5M'
    window: 'PT15M'
    query: '${alertLines} | where tostring(line.alert) == "evidence-quarantined" | summarize quarantined = count() by bin(TimeGenerated, 5m), code = tostring(line.code)'
  }
  {
    name: 'key-vault-unavailable'
    displayName: 'Key Vault unavailable to the app'
    description: 'The app could not use the evidence key and refused requests (fail closed, 503; alert: key-vault-unavailable).'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: '${alertLines} | where tostring(line.alert) == "key-vault-unavailable" | summarize failures = count() by bin(TimeGenerated, 5m), reason = tostring(line.reason)'
  }
  {
    name: 'audit-write-failed'
    displayName: 'Audit trail write failed'
    description: 'An audit event could not be written, so the action was refused (fail closed, 503; alert: audit-write-failed). Check Cosmos DB availability and the audit container.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: '${alertLines} | where tostring(line.alert) == "audit-write-failed" | summarize failures = count() by bin(TimeGenerated, 5m)'
  }
  {
    name: 'audit-chain-truncated'
    displayName: 'Audit chain ends before its last checkpoint'
    description: 'A tenant audit chain is shorter than its last immutable checkpoint: events were lost or removed (alert: audit-chain-truncated). Run npx bystander audit verify --tenant <id>.'
    severity: 1
    frequency: 'PT5M'
    window: 'PT15M'
    query: '${alertLines} | where tostring(line.alert) == "audit-chain-truncated" | summarize truncated = count() by bin(TimeGenerated, 5m), tenant = tostring(line.tenantId)'
  }
  {
    name: 'share-notification-failed'
    displayName: 'Police notification failed'
    description: 'A share notification (ACS e-mail or agency webhook) failed after its retries (alert: share-notification-failed).'
    severity: 2
    frequency: 'PT15M'
    window: 'PT30M'
    query: '${alertLines} | where tostring(line.alert) == "share-notification-failed" | summarize failed = count() by bin(TimeGenerated, 15m)'
  }
  {
    name: 'webhook-delivery-failed'
    displayName: 'Retailer webhook delivery failed'
    description: 'A retailer webhook event was not accepted after every attempt (about 33 hours of retries) (alert: webhook-delivery-failed).'
    severity: 3
    frequency: 'PT1H'
    window: 'PT1H'
    query: '${alertLines} | where tostring(line.alert) == "webhook-delivery-failed" | summarize failed = count() by bin(TimeGenerated, 1h)'
  }
  {
    name: 'webhook-event-lost'
    displayName: 'Retailer webhook event not published'
    description: 'An audited action could not queue its webhook event (storage queue or event store unavailable) (alert: webhook-event-lost).'
    severity: 2
    frequency: 'PT15M'
    window: 'PT30M'
    query: '${alertLines} | where tostring(line.alert) == "webhook-event-lost" | summarize lost = count() by bin(TimeGenerated, 15m)'
  }
  {
    name: 'stuck-orchestrations'
    displayName: 'Evidence orchestration stuck'
    description: 'A processEvidence, deleteIncident or privacyRequest orchestration has not progressed for longer than the redaction timeout allows.'
    severity: 2
    frequency: 'PT30M'
    window: 'P1D'
    query: 'AppTraces | where Properties.Category == "Host.Triggers.DurableTask" and isnotempty(Properties.prop__instanceId) and tostring(Properties.prop__functionName) in ${finiteOrchestrations} | extend instanceId = tostring(Properties.prop__instanceId), state = tostring(Properties.prop__state) | extend fn = tostring(Properties.prop__functionName) | summarize arg_max(TimeGenerated, state, fn) by instanceId | where state !in ("Completed", "Failed", "Terminated") and TimeGenerated < ago(iff(fn == "processEvidence", ${reviewDeadlineHours + stuckOrchestrationHours}h, ${stuckOrchestrationHours}h))'
  }
  {
    name: 'failed-deletions'
    displayName: 'Retention deletion failed'
    description: 'Data whose retention ended could not be deleted (deleteIncident failed, or the sweeper could not start it); erasure obligations are at risk.'
    severity: 1
    frequency: 'PT15M'
    window: 'PT1H'
    query: 'AppTraces | extend line = iff(Message has "alert" or Message has "retention sweep failed", parse_json(substring(Message, indexof(Message, "{"))), dynamic(null)) | where (Properties.Category == "Host.Triggers.DurableTask" and tostring(Properties.prop__functionName) == "deleteIncident" and tostring(Properties.prop__state) == "Failed") or tostring(line.alert) == "deletion-failed" or tostring(line.message) == "retention sweep failed for an incident" | summarize failed = count() by bin(TimeGenerated, 15m)'
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
      // One notification per event burst: overlapping windows would otherwise repeat it.
      muteActionsDuration: rule.window
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
