/**
 * Bystander infrastructure policy rules, in the spirit of PSRule for Azure: each rule has an id,
 * a description, the resource it guards, and a check over the structured model of every Bicep file
 * of a workspace (infra/bicep, or the broken fixtures that prove each rule can fail).
 */
import type { SyntaxNode } from './parse.js';
import {
  arrayElements,
  calledFunctions,
  descendants,
  getPath,
  identifiers,
  line,
  literal,
  properties,
  resolve,
  stringLiteral,
  stringLiterals,
  type FileModel,
  type ModuleDecl,
  type ResourceDecl,
} from './model.js';

export interface Violation {
  rule: string;
  file: string;
  line: number;
  message: string;
}

export interface Workspace {
  models: FileModel[];
}

export interface PolicyRule {
  id: string;
  description: string;
  /** The Azure resource (type) the rule guards. */
  guards: string;
  check(ws: Workspace): Violation[];
}

// ------------------------------------------------------------------------------------------------
// Helpers
// ------------------------------------------------------------------------------------------------

const T = {
  storage: 'Microsoft.Storage/storageAccounts',
  blobService: 'Microsoft.Storage/storageAccounts/blobServices',
  container: 'Microsoft.Storage/storageAccounts/blobServices/containers',
  lifecycle: 'Microsoft.Storage/storageAccounts/managementPolicies',
  vault: 'Microsoft.KeyVault/vaults',
  key: 'Microsoft.KeyVault/vaults/keys',
  cosmos: 'Microsoft.DocumentDB/databaseAccounts',
  sqlRoleAssignment: 'Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments',
  sqlRoleDefinition: 'Microsoft.DocumentDB/databaseAccounts/sqlRoleDefinitions',
  sqlContainer: 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers',
  site: 'Microsoft.Web/sites',
  siteConfig: 'Microsoft.Web/sites/config',
  job: 'Microsoft.App/jobs',
  roleAssignment: 'Microsoft.Authorization/roleAssignments',
  roleDefinition: 'Microsoft.Authorization/roleDefinitions',
  policyAssignment: 'Microsoft.Authorization/policyAssignments',
  communicationService: 'Microsoft.Communication/communicationServices',
  emailService: 'Microsoft.Communication/emailServices',
  diagnostics: 'Microsoft.Insights/diagnosticSettings',
  cognitiveAccount: 'Microsoft.CognitiveServices/accounts',
} as const;

/** Resource types whose location is legitimately `global` (metadata only, no customer data). */
const GLOBAL_TYPES = new Set([
  'Microsoft.Network/privateDnsZones',
  'Microsoft.Network/privateDnsZones/virtualNetworkLinks',
  'Microsoft.Insights/actionGroups',
  // Azure Communication Services: ARM metadata is global; data at rest follows `dataLocation` (BYS-LOC-003).
  'Microsoft.Communication/communicationServices',
  'Microsoft.Communication/emailServices',
  'Microsoft.Communication/emailServices/domains',
  'Microsoft.Communication/emailServices/domains/senderUsernames',
]);

/** Files that may name Azure regions: the geography catalogue and parameter files. */
const isRegionCatalogue = (m: FileModel): boolean =>
  m.file.kind === 'bicepparam' || /(^|\/)geographies\.bicep$/.test(m.file.relPath);

/** Azure public-cloud region names (lower case), used to spot hard-coded locations. */
export const AZURE_REGIONS = new Set(
  (
    'australiacentral australiacentral2 australiaeast australiasoutheast austriaeast belgiumcentral brazilsouth brazilsoutheast ' +
    'canadacentral canadaeast centralindia centralus chilecentral eastasia eastus eastus2 francecentral francesouth germanynorth ' +
    'germanywestcentral indonesiacentral israelcentral italynorth japaneast japanwest jioindiacentral jioindiawest koreacentral ' +
    'koreasouth malaysiawest mexicocentral newzealandnorth northcentralus northeurope norwayeast norwaywest polandcentral qatarcentral ' +
    'southafricanorth southafricawest southcentralus southindia southeastasia spaincentral swedencentral swedensouth switzerlandnorth ' +
    'switzerlandwest uaecentral uaenorth uksouth ukwest westcentralus westeurope westindia westus westus2 westus3'
  ).split(' '),
);

/** Built-in roles too broad for any Bystander identity. */
export const PRIVILEGED_ROLE_IDS: Record<string, string> = {
  '8e3af657-a8ff-443c-a75c-2fe8c4bcb635': 'Owner',
  'b24988ac-6180-42a0-ab88-20f7caa5d7c7': 'Contributor',
  '18d7d88d-d35e-4fb5-a5c3-7773c20a72d9': 'User Access Administrator',
  'f58310d9-a9f6-439a-9e8d-f62e7b41a168': 'Role Based Access Control Administrator',
  '00482a5a-887f-4fb3-b363-3b7fe8e74483': 'Key Vault Administrator',
  '17d1049b-9a84-46fb-8f53-869881c3d3ab': 'Storage Account Contributor',
  '5bd9cd88-fe45-4216-938b-f97437e15450': 'DocumentDB Account Contributor',
  '25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68': 'Cognitive Services Contributor',
};

/**
 * Regions that offer Image Analysis 4.0 Analyze Image (Read, People; captions not needed), from the
 * "Region availability" table of the Image Analysis overview (Azure AI Vision docs, revision of
 * 2025-09-16). Re-check it before adding a geography's visionRegion: the list changes.
 */
export const IMAGE_ANALYSIS_40_REGIONS = new Set([
  'eastus', 'westus', 'westus2', 'francecentral', 'northeurope', 'westeurope', 'swedencentral', 'switzerlandnorth',
  'australiaeast', 'southeastasia', 'eastasia', 'koreacentral', 'japaneast',
]);

/** Data locations of Azure Communication Services / Email Communication Services (data at rest). */
export const ACS_DATA_LOCATIONS = new Set([
  'Africa', 'Asia Pacific', 'Australia', 'Brazil', 'Canada', 'Europe', 'France', 'Germany', 'India', 'Japan', 'Korea', 'Norway',
  'Switzerland', 'UAE', 'UK', 'United States',
]);

/** Actions a custom role must never carry: wildcards, deletes, key listing/regeneration, access management. */
const FORBIDDEN_CUSTOM_ACTION = /\*|\/delete$|listkeys|regeneratekey|^microsoft\.authorization\//i;

const GEO_REDUNDANT_SKUS = /^(Standard_(GRS|RAGRS|GZRS|RAGZRS))$/;
const IN_GEO_SKUS = new Set(['Standard_LRS', 'Standard_ZRS', 'Premium_LRS', 'Premium_ZRS']);

const all = (ws: Workspace): FileModel[] => ws.models;

function deployed(ws: Workspace, type: string): { r: ResourceDecl; m: FileModel }[] {
  return all(ws).flatMap((m) =>
    m.resources.filter((r) => r.type.toLowerCase() === type.toLowerCase() && !r.existing).map((r) => ({ r, m })),
  );
}

function v(rule: string, file: string, ln: number, message: string): Violation {
  return { rule, file, line: ln, message };
}

const at = (rule: string, r: ResourceDecl, message: string, node?: SyntaxNode): Violation =>
  v(rule, r.file.relPath, node ? line(node) : r.line, `${r.symbol} (${r.type}): ${message}`);

/** Checks `path` on the resource body equals one of `expected` (literal). */
function expectLiteral(rule: string, m: FileModel, r: ResourceDecl, path: string, expected: unknown[], label = path): Violation[] {
  const node = getPath(m, r.body, path);
  const value = literal(node);
  if (node === undefined) return [at(rule, r, `${label} is not set (expected ${expected.map(String).join(' or ')})`)];
  if (value === undefined || !expected.includes(value)) {
    return [at(rule, r, `${label} is ${node.text} (expected ${expected.map((e) => JSON.stringify(e)).join(' or ')})`, node)];
  }
  return [];
}

const paramOf = (m: FileModel, name: string) => m.params.find((p) => p.name === name);

/** Containers holding data that must not outlive a bound (days), enforced by lifecycle rules. */
const TRANSIENT_CONTAINERS: Array<[string, number]> = [
  ['quarantine', 365],
  ['exports', 30],
];


/** Upper bound of an int: literal, or a param with @maxValue. */
function upperBound(m: FileModel, node: SyntaxNode | undefined): number | undefined {
  const lit = literal(node);
  if (typeof lit === 'number') return lit;
  if (node?.type === 'identifier') {
    const p = paramOf(m, node.text);
    const max = p?.decorators.find((d) => d.name === 'maxValue');
    const bound = literal(max?.args[0]);
    return typeof bound === 'number' ? bound : undefined;
  }
  return undefined;
}

/** Smallest bound (days) after which a lifecycle rule of the file deletes base blobs under `prefix`. */
function lifecycleDeleteDays(ws: Workspace, m: FileModel, prefix: string): number | undefined {
  let best: number | undefined;
  for (const { r: lc, m: lm } of deployed(ws, T.lifecycle).filter((lc) => lc.m === m)) {
    for (const rule of arrayElements(lm, getPath(lm, lc.body, 'properties.policy.rules'))) {
      const prefixes = arrayElements(lm, getPath(lm, rule, 'definition.filters.prefixMatch')).map((p) => literal(p));
      if (!prefixes.includes(prefix)) continue;
      const days =
        upperBound(lm, getPath(lm, rule, 'definition.actions.baseBlob.delete.daysAfterModificationGreaterThan')) ??
        upperBound(lm, getPath(lm, rule, 'definition.actions.baseBlob.delete.daysAfterCreationGreaterThan'));
      if (days !== undefined && (best === undefined || days < best)) best = days;
    }
  }
  return best;
}

/** `symbol.outputs.x` → symbol. */
const outputSource = (node: SyntaxNode | undefined): string | undefined => {
  const match = node?.text.match(/^([A-Za-z_][A-Za-z0-9_]*)\.outputs\.[A-Za-z_][A-Za-z0-9_]*$/);
  return match?.[1];
};

function moduleParam(m: FileModel, mod: ModuleDecl, name: string): SyntaxNode | undefined {
  return getPath(m, mod.body, `params.${name}`);
}

const modulesByPath = (ws: Workspace, suffix: string): { mod: ModuleDecl; m: FileModel }[] =>
  all(ws).flatMap((m) => m.modules.filter((mod) => mod.path.endsWith(suffix)).map((mod) => ({ mod, m })));

// ------------------------------------------------------------------------------------------------
// Rules
// ------------------------------------------------------------------------------------------------

export const rules: PolicyRule[] = [
  {
    id: 'BYS-STG-001',
    description: 'No public (anonymous) blob access: the account disallows it and no container grants it.',
    guards: 'Microsoft.Storage/storageAccounts (+ blobServices/containers)',
    check: (ws) => [
      ...deployed(ws, T.storage).flatMap(({ r, m }) => expectLiteral('BYS-STG-001', m, r, 'properties.allowBlobPublicAccess', [false])),
      ...deployed(ws, T.container).flatMap(({ r, m }) => {
        const node = getPath(m, r.body, 'properties.publicAccess');
        return node && literal(node) !== 'None' ? [at('BYS-STG-001', r, `publicAccess is ${node.text} (expected 'None')`, node)] : [];
      }),
    ],
  },
  {
    id: 'BYS-STG-002',
    description: 'Shared-key (account key and account SAS) access is disabled; Entra ID only.',
    guards: 'Microsoft.Storage/storageAccounts',
    check: (ws) => deployed(ws, T.storage).flatMap(({ r, m }) => expectLiteral('BYS-STG-002', m, r, 'properties.allowSharedKeyAccess', [false])),
  },
  {
    id: 'BYS-TLS-001',
    description: 'Minimum TLS version is 1.2 or higher on storage, the function app and Cosmos DB.',
    guards: 'Microsoft.Storage/storageAccounts, Microsoft.Web/sites, Microsoft.DocumentDB/databaseAccounts',
    check: (ws) => [
      ...deployed(ws, T.storage).flatMap(({ r, m }) => expectLiteral('BYS-TLS-001', m, r, 'properties.minimumTlsVersion', ['TLS1_2', 'TLS1_3'])),
      ...deployed(ws, T.site).flatMap(({ r, m }) => [
        ...expectLiteral('BYS-TLS-001', m, r, 'properties.siteConfig.minTlsVersion', ['1.2', '1.3']),
        ...expectLiteral('BYS-TLS-001', m, r, 'properties.httpsOnly', [true]),
      ]),
      ...deployed(ws, T.cosmos).flatMap(({ r, m }) => expectLiteral('BYS-TLS-001', m, r, 'properties.minimalTlsVersion', ['Tls12', 'Tls13'])),
    ],
  },
  {
    id: 'BYS-STG-003',
    description: 'Storage redundancy stays inside the region (LRS/ZRS); geo-replicated SKUs (GRS, RA-GRS, GZRS) would copy data out of the geography.',
    guards: 'Microsoft.Storage/storageAccounts',
    check: (ws) => {
      const out: Violation[] = [];
      for (const { r, m } of deployed(ws, T.storage)) {
        const node = getPath(m, r.body, 'sku.name');
        const lit = literal(node);
        if (!node) out.push(at('BYS-STG-003', r, 'sku.name is not set'));
        else if (typeof lit === 'string' && !IN_GEO_SKUS.has(lit)) out.push(at('BYS-STG-003', r, `sku ${lit} replicates outside the region`, node));
        else if (lit === undefined && node.type === 'identifier') {
          const p = paramOf(m, node.text);
          const allowed = p ? stringLiterals(p.node).map((s) => s.value).filter((s) => /^(Standard|Premium)_/.test(s)) : [];
          if (!p || allowed.length === 0 || allowed.some((s) => !IN_GEO_SKUS.has(s))) {
            out.push(at('BYS-STG-003', r, `sku ${node.text} is not constrained to in-region SKUs`, node));
          }
        }
      }
      for (const m of all(ws)) {
        for (const s of stringLiterals(m.file.root)) {
          if (GEO_REDUNDANT_SKUS.test(s.value)) out.push(v('BYS-STG-003', m.file.relPath, line(s.node), `geo-redundant SKU ${s.value} is offered`));
        }
      }
      return out;
    },
  },
  {
    id: 'BYS-STG-004',
    description: 'Blob versioning and soft delete are on but bounded (≤ 7 days, previous versions expire) so erasure completes.',
    guards: 'Microsoft.Storage/storageAccounts/blobServices (+ managementPolicies)',
    check: (ws) => {
      const out: Violation[] = [];
      for (const { r, m } of deployed(ws, T.blobService)) {
        for (const policy of ['deleteRetentionPolicy', 'containerDeleteRetentionPolicy']) {
          out.push(...expectLiteral('BYS-STG-004', m, r, `properties.${policy}.enabled`, [true]));
          const days = getPath(m, r.body, `properties.${policy}.days`);
          const bound = upperBound(m, days);
          if (bound === undefined || bound > 7) out.push(at('BYS-STG-004', r, `${policy}.days is not bounded to 7 (${days?.text ?? 'unset'})`, days));
        }
        if (literal(getPath(m, r.body, 'properties.isVersioningEnabled')) === true) {
          const expiresVersions = deployed(ws, T.lifecycle).some(
            (lc) => lc.m === m && descendants(lc.r.body, 'object_property').some((p) => p.text.startsWith('version') && p.text.includes('delete')),
          );
          if (!expiresVersions) out.push(at('BYS-STG-004', r, 'versioning is on but no lifecycle rule deletes previous versions'));
        }
      }
      return out;
    },
  },
  {
    id: 'BYS-STG-005',
    description: 'A lifecycle rule deletes blobs under ingest/ after a few days (safety net for unprocessed uploads).',
    guards: 'Microsoft.Storage/storageAccounts/managementPolicies',
    check: (ws) =>
      deployed(ws, T.storage).flatMap(({ r, m }) => {
        const days = lifecycleDeleteDays(ws, m, 'ingest/');
        return days !== undefined && days <= 7 ? [] : [at('BYS-STG-005', r, 'no lifecycle rule deletes ingest/ blobs within 7 days')];
      }),
  },
  {
    id: 'BYS-STG-007',
    description: 'Transient containers expire: quarantine/ (unredacted originals) within 365 days and exports/ (privacy-request bundles) within 30 days, by lifecycle rules.',
    guards: 'Microsoft.Storage/storageAccounts/managementPolicies (containers quarantine, exports)',
    check: (ws) =>
      deployed(ws, T.storage).flatMap(({ r, m }) => {
        const out: Violation[] = [];
        const names = new Set(stringLiterals(m.file.root).map((x) => x.value));
        for (const [container, max] of TRANSIENT_CONTAINERS) {
          if (!names.has(container)) continue;
          const days = lifecycleDeleteDays(ws, m, `${container}/`);
          if (days === undefined || days > max) out.push(at('BYS-STG-007', r, `container ${container} has no lifecycle rule deleting its blobs within ${max} days`));
        }
        return out;
      }),
  },
  {
    id: 'BYS-STG-006',
    description: "Storage is encrypted with a customer-managed key from the stamp's Key Vault, reached by a user-assigned identity.",
    guards: 'Microsoft.Storage/storageAccounts',
    check: (ws) =>
      deployed(ws, T.storage).flatMap(({ r, m }) => {
        const out = expectLiteral('BYS-STG-006', m, r, 'properties.encryption.keySource', ['Microsoft.Keyvault']);
        if (!getPath(m, r.body, 'properties.encryption.identity.userAssignedIdentity')) out.push(at('BYS-STG-006', r, 'encryption.identity.userAssignedIdentity is not set'));
        if (!getPath(m, r.body, 'properties.encryption.keyvaultproperties.keyname')) out.push(at('BYS-STG-006', r, 'encryption.keyvaultproperties.keyname is not set'));
        return out;
      }),
  },
  {
    id: 'BYS-NET-001',
    description: 'Cosmos DB and Key Vault have no public network access (private endpoints; Key Vault lets trusted services bypass for storage CMK).',
    guards: 'Microsoft.DocumentDB/databaseAccounts, Microsoft.KeyVault/vaults',
    check: (ws) => [
      ...deployed(ws, T.cosmos).flatMap(({ r, m }) => expectLiteral('BYS-NET-001', m, r, 'properties.publicNetworkAccess', ['Disabled'])),
      ...deployed(ws, T.vault).flatMap(({ r, m }) => [
        ...expectLiteral('BYS-NET-001', m, r, 'properties.publicNetworkAccess', ['Disabled']),
        ...expectLiteral('BYS-NET-001', m, r, 'properties.networkAcls.defaultAction', ['Deny']),
        ...expectLiteral('BYS-NET-001', m, r, 'properties.networkAcls.bypass', ['AzureServices']),
      ]),
    ],
  },
  {
    id: 'BYS-NET-002',
    description: 'The storage public endpoint is either disabled or gated: default action Deny, or Deny whenever the stamp has an upload allow-list (ipRules from it).',
    guards: 'Microsoft.Storage/storageAccounts',
    check: (ws) =>
      deployed(ws, T.storage).flatMap(({ r, m }) => {
        if (literal(getPath(m, r.body, 'properties.publicNetworkAccess')) === 'Disabled') return [];
        const action = getPath(m, r.body, 'properties.networkAcls.defaultAction');
        if (literal(action) === 'Deny') return [];
        const gated =
          action?.type === 'ternary_expression' &&
          /allow/i.test(action.childForFieldName('condition')?.text ?? '') &&
          stringLiterals(action).some((s) => s.value === 'Deny') &&
          !!getPath(m, r.body, 'properties.networkAcls.ipRules');
        return gated ? [] : [at('BYS-NET-002', r, `public endpoint open to all networks (defaultAction ${action?.text ?? 'unset'})`, action)];
      }),
  },
  {
    id: 'BYS-NET-003',
    description: 'The function app front door is HTTPS-only, FTP off, and carries the bad-actor deny-list (ipSecurityRestrictions, also applied to SCM).',
    guards: 'Microsoft.Web/sites',
    check: (ws) =>
      deployed(ws, T.site).flatMap(({ r, m }) => {
        const out = [
          ...expectLiteral('BYS-NET-003', m, r, 'properties.siteConfig.ftpsState', ['Disabled']),
          ...expectLiteral('BYS-NET-003', m, r, 'properties.siteConfig.scmIpSecurityRestrictionsUseMain', [true]),
        ];
        const raw = properties(getPath(m, r.body, 'properties.siteConfig')).get('ipSecurityRestrictions');
        // Follow a variable one step but keep a `[for … in deniedCidrs: …]` whole, iterable included.
        const restrictions = raw?.type === 'identifier' ? (m.vars.find((x) => x.name === raw.text)?.value ?? raw) : raw;
        const deny = stringLiterals(restrictions).some((s) => s.value === 'Deny');
        const fromParam = identifiers(restrictions).some((id) => m.params.some((p) => p.name === id && /den(y|ied)|block/i.test(p.name)));
        if (!restrictions || !deny || !fromParam) out.push(at('BYS-NET-003', r, 'ipSecurityRestrictions do not apply the deny-list parameter'));
        return out;
      }),
  },
  {
    id: 'BYS-KV-001',
    description: 'Key Vault uses RBAC authorisation, soft delete and purge protection.',
    guards: 'Microsoft.KeyVault/vaults',
    check: (ws) =>
      deployed(ws, T.vault).flatMap(({ r, m }) => [
        ...expectLiteral('BYS-KV-001', m, r, 'properties.enableRbacAuthorization', [true]),
        ...expectLiteral('BYS-KV-001', m, r, 'properties.enableSoftDelete', [true]),
        ...expectLiteral('BYS-KV-001', m, r, 'properties.enablePurgeProtection', [true]),
      ]),
  },
  {
    id: 'BYS-KV-002',
    description: 'Every key has a rotation policy: an expiry and an automatic rotate action.',
    guards: 'Microsoft.KeyVault/vaults/keys',
    check: (ws) =>
      deployed(ws, T.key).flatMap(({ r, m }) => {
        const policy = getPath(m, r.body, 'properties.rotationPolicy');
        const rotates = arrayElements(m, getPath(m, policy, 'lifetimeActions')).some((a) => literal(getPath(m, a, 'action.type')) === 'rotate');
        const expires = !!getPath(m, policy, 'attributes.expiryTime');
        return policy && rotates && expires ? [] : [at('BYS-KV-002', r, 'key has no rotation policy with expiryTime and a rotate action')];
      }),
  },
  {
    id: 'BYS-MON-001',
    description: 'Key Vault and Azure AI (Cognitive Services) accounts send their logs to Log Analytics through diagnostic settings.',
    guards: 'Microsoft.KeyVault/vaults, Microsoft.CognitiveServices/accounts (Microsoft.Insights/diagnosticSettings)',
    check: (ws) =>
      [...deployed(ws, T.vault), ...deployed(ws, T.cognitiveAccount)].flatMap(({ r, m }) => {
        const ok = deployed(ws, T.diagnostics).some(
          (d) => d.m === m && getPath(m, d.r.body, 'scope')?.text === r.symbol && !!getPath(m, d.r.body, 'properties.workspaceId') &&
            arrayElements(m, getPath(m, d.r.body, 'properties.logs')).some((l) => literal(getPath(m, l, 'enabled')) === true),
        );
        return ok ? [] : [at('BYS-MON-001', r, 'no diagnostic setting sends its logs to Log Analytics')];
      }),
  },
  {
    id: 'BYS-AI-001',
    description: 'Azure AI (Cognitive Services) accounts are Entra ID only and private: local auth (keys) disabled, public network access disabled with a Deny ACL, a custom subdomain (Entra ID tokens, private DNS), and a private endpoint (group id account) deployed with the account.',
    guards: 'Microsoft.CognitiveServices/accounts',
    check: (ws) =>
      deployed(ws, T.cognitiveAccount).flatMap(({ r, m }) => {
        const out = [
          ...expectLiteral('BYS-AI-001', m, r, 'properties.disableLocalAuth', [true]),
          ...expectLiteral('BYS-AI-001', m, r, 'properties.publicNetworkAccess', ['Disabled']),
          ...expectLiteral('BYS-AI-001', m, r, 'properties.networkAcls.defaultAction', ['Deny']),
        ];
        if (!getPath(m, r.body, 'properties.customSubDomainName')) out.push(at('BYS-AI-001', r, 'customSubDomainName is not set (Entra ID auth and the private endpoint need it)'));
        const endpoint = m.modules.some(
          (mod) =>
            mod.path.endsWith('private-endpoint.bicep') &&
            moduleParam(m, mod, 'targetResourceId')?.text === `${r.symbol}.id` &&
            literal(moduleParam(m, mod, 'groupId')) === 'account',
        );
        if (!endpoint) out.push(at('BYS-AI-001', r, "no private endpoint (groupId 'account') targets the account"));
        return out;
      }),
  },
  {
    id: 'BYS-COS-001',
    description: 'Cosmos DB local (key) authentication is disabled; data access by Entra ID RBAC only.',
    guards: 'Microsoft.DocumentDB/databaseAccounts',
    check: (ws) =>
      deployed(ws, T.cosmos).flatMap(({ r, m }) => [
        ...expectLiteral('BYS-COS-001', m, r, 'properties.disableLocalAuth', [true]),
        ...expectLiteral('BYS-COS-001', m, r, 'properties.disableKeyBasedMetadataWriteAccess', [true]),
      ]),
  },
  {
    id: 'BYS-COS-002',
    description: "Cosmos DB containers are partitioned by /tenantId, and the audit chain never expires early: TTL on `audit` is off or at least 365 days (the chain's compare-and-set relies on seq-derived ids).",
    guards: 'Microsoft.DocumentDB/databaseAccounts/sqlDatabases/containers',
    check: (ws) => {
      const out: Violation[] = [];
      for (const { r, m } of deployed(ws, T.sqlContainer)) {
        const pk = descendants(r.body, 'object_property').find((p) => p.namedChildren[0]?.text === 'partitionKey');
        const paths = pk ? arrayElements(m, getPath(m, pk.namedChildren[1] ?? undefined, 'paths')).map((p) => literal(p)) : [];
        if (paths.length !== 1 || paths[0] !== '/tenantId') out.push(at('BYS-COS-002', r, `partition key is ${paths.map(String).join(', ') || 'unset'} (expected /tenantId)`, pk));
      }
      // The audit container's TTL, wherever the file describes it ({ name: 'audit', ttl | defaultTtl: … }).
      for (const m of all(ws).filter((x) => deployed(ws, T.sqlContainer).some((c) => c.m === x))) {
        for (const obj of descendants(m.file.root, 'object')) {
          const props = properties(obj);
          if (literal(props.get('name')) !== 'audit' && literal(props.get('id')) !== 'audit') continue;
          const ttl = props.get('ttl') ?? props.get('defaultTtl');
          if (!ttl) continue;
          if (!auditTtlSafe(m, ttl)) out.push(v('BYS-COS-002', m.file.relPath, line(ttl), `audit TTL ${ttl.text} may expire audit events before a year (expected off or ≥ 365 days)`));
        }
      }
      return out;
    },
  },
  {
    id: 'BYS-LOC-001',
    description: "Every location derives from the geography parameters: no literal region anywhere outside the geography catalogue and parameter files ('global' only for global resource types).",
    guards: 'every resource and resource group (location, locationName)',
    check: (ws) => {
      const out: Violation[] = [];
      for (const m of all(ws)) {
        for (const r of m.resources.filter((x) => !x.existing)) {
          for (const key of ['location', 'locationName']) {
            for (const p of descendants(r.body, 'object_property').filter((p) => p.namedChildren[0]?.text === key)) {
              const value = p.namedChildren[1];
              const lit = literal(value ?? undefined);
              if (typeof lit === 'string' && !(lit === 'global' && GLOBAL_TYPES.has(r.type))) {
                out.push(at('BYS-LOC-001', r, `${key} is the literal '${lit}'`, p));
              }
            }
          }
        }
        if (isRegionCatalogue(m)) continue;
        for (const s of stringLiterals(m.file.root)) {
          if (AZURE_REGIONS.has(s.value.toLowerCase())) out.push(v('BYS-LOC-001', m.file.relPath, line(s.node), `hard-coded region '${s.value}'`));
        }
      }
      return out;
    },
  },
  {
    id: 'BYS-LOC-003',
    description: "Azure Communication Services data at rest stays in the geography: `dataLocation` is a parameter fed from the geography's communicationDataLocation, and every catalogue geography names a valid ACS data location.",
    guards: 'Microsoft.Communication/communicationServices, Microsoft.Communication/emailServices, geography catalogue',
    check: (ws) => {
      const out: Violation[] = [];
      for (const { r, m } of [...deployed(ws, T.communicationService), ...deployed(ws, T.emailService)]) {
        const node = getPath(m, r.body, 'properties.dataLocation');
        if (!node || node.type !== 'identifier' || !paramOf(m, node.text)) {
          out.push(at('BYS-LOC-003', r, `dataLocation ${node?.text ?? 'unset'} is not a parameter (it must come from the geography)`, node));
        }
      }
      const acsFiles = new Set(
        [...deployed(ws, T.communicationService), ...deployed(ws, T.emailService)].map(({ m }) => m.file.relPath.split('/').pop() ?? ''),
      );
      for (const m of all(ws)) {
        for (const mod of m.modules.filter((x) => acsFiles.has(x.path.split('/').pop() ?? ''))) {
          const value = moduleParam(m, mod, 'dataLocation');
          if (!value || literal(value) !== undefined || !/\.communicationDataLocation$/.test(value.text)) {
            out.push(v('BYS-LOC-003', m.file.relPath, value ? line(value) : mod.line, `${mod.symbol} dataLocation ${value?.text ?? 'unset'} is not the geography communicationDataLocation`));
          }
        }
      }
      for (const m of all(ws).filter(isRegionCatalogue)) {
        for (const obj of descendants(m.file.root, 'object')) {
          const props = properties(obj);
          if (!props.has('allowedRegions') || !props.has('primaryRegion')) continue;
          const loc = props.get('communicationDataLocation');
          const value = literal(loc);
          if (typeof value !== 'string' || !ACS_DATA_LOCATIONS.has(value)) {
            out.push(v('BYS-LOC-003', m.file.relPath, line(loc ?? obj), `geography has no valid communicationDataLocation (${loc?.text ?? 'unset'})`));
          }
        }
      }
      return out;
    },
  },
  {
    id: 'BYS-LOC-004',
    description: "The Azure AI Vision account stays in the geography: its location is a parameter the stamp feeds from the geography's visionRegion, and every catalogue visionRegion is one of the geography's allowedRegions and offers Image Analysis 4.0 (Read, People).",
    guards: 'Microsoft.CognitiveServices/accounts, geography catalogue (visionRegion)',
    check: (ws) => {
      const out: Violation[] = [];
      const accounts = deployed(ws, T.cognitiveAccount);
      for (const { r, m } of accounts) {
        const node = getPath(m, r.body, 'location');
        if (!node || node.type !== 'identifier' || !paramOf(m, node.text)) {
          out.push(at('BYS-LOC-004', r, `location ${node?.text ?? 'unset'} is not a parameter (it must come from the geography's visionRegion)`, node));
        }
      }
      const accountFiles = new Set(accounts.map(({ m }) => m.file.relPath.split('/').pop() ?? ''));
      for (const m of all(ws)) {
        for (const mod of m.modules.filter((x) => accountFiles.has(x.path.split('/').pop() ?? ''))) {
          const value = moduleParam(m, mod, 'location');
          const source = resolve(m, value)?.text ?? '';
          if (!value || literal(value) !== undefined || !/\.\??visionRegion\b/.test(source)) {
            out.push(v('BYS-LOC-004', m.file.relPath, value ? line(value) : mod.line, `${mod.symbol} location ${value?.text ?? 'unset'} is not the geography visionRegion`));
          }
        }
      }
      for (const m of all(ws).filter(isRegionCatalogue)) {
        for (const obj of descendants(m.file.root, 'object')) {
          const props = properties(obj);
          const node = props.get('visionRegion');
          if (!node || !props.has('allowedRegions') || !props.has('primaryRegion')) continue;
          const value = literal(node);
          const allowed = arrayElements(m, props.get('allowedRegions')).map((e) => literal(e));
          if (typeof value !== 'string' || !allowed.includes(value)) {
            out.push(v('BYS-LOC-004', m.file.relPath, line(node), `visionRegion ${node.text} is not in allowedRegions`));
          }
          if (typeof value !== 'string' || !IMAGE_ANALYSIS_40_REGIONS.has(value)) {
            out.push(v('BYS-LOC-004', m.file.relPath, line(node), `visionRegion ${node.text} does not offer Image Analysis 4.0 (leave it unset: the feature stays off)`));
          }
        }
      }
      return out;
    },
  },
  {
    id: 'BYS-LOC-002',
    description: "Each geography's primary and secondary regions are among its allowed regions (the Allowed locations policy would otherwise deny the stamp).",
    guards: 'geography catalogue (resource groups, Cosmos DB locations)',
    check: (ws) => {
      const out: Violation[] = [];
      for (const m of all(ws).filter(isRegionCatalogue)) {
        for (const obj of descendants(m.file.root, 'object')) {
          const props = properties(obj);
          const allowed = props.get('allowedRegions');
          if (!allowed || !props.has('primaryRegion')) continue;
          const regions = arrayElements(m, allowed).map((e) => literal(e));
          for (const key of ['primaryRegion', 'secondaryRegion']) {
            const node = props.get(key);
            const value = literal(node);
            if (node && (typeof value !== 'string' || !regions.includes(value))) {
              out.push(v('BYS-LOC-002', m.file.relPath, line(node), `${key} ${node.text} is not in allowedRegions`));
            }
          }
        }
      }
      return out;
    },
  },
  {
    id: 'BYS-SEC-001',
    description: 'Parameters that look like secrets (key, password, secret, token, connection string) are @secure(); parameter files never hold them as literals.',
    guards: 'template parameters (all modules, main, .bicepparam)',
    check: (ws) => {
      const secretLike = /(password|secret|connectionstring|apikey|accountkey|sas|(?<!resource)token|key)$/i;
      const out: Violation[] = [];
      for (const m of all(ws)) {
        // Typed object parameters are checked property by property (a key *reference* is not a secret).
        for (const p of m.params) {
          if (m.file.kind !== 'bicepparam' && p.typeText.startsWith('{')) {
            for (const prop of descendants(p.node, 'object_property')) {
              const key = prop.namedChildren[0]?.text.replace(/\?$/, '') ?? '';
              const typeText = prop.namedChildren[1]?.text ?? '';
              const secure = prop.previousNamedSibling?.type === 'decorators' && prop.previousNamedSibling.text.includes('@secure');
              if (secretLike.test(key) && /^(string|object)\??$/.test(typeText) && !secure) {
                out.push(v('BYS-SEC-001', m.file.relPath, line(prop), `secret-like property ${p.name}.${key} is not @secure()`));
              }
            }
            continue;
          }
          if (!secretLike.test(p.name)) continue;
          if (m.file.kind === 'bicepparam') {
            const fns = calledFunctions(p.value);
            if (!fns.includes('getSecret') && !fns.includes('readEnvironmentVariable')) {
              out.push(v('BYS-SEC-001', m.file.relPath, p.line, `secret-like parameter ${p.name} has a literal value`));
            }
          } else if (!p.decorators.some((d) => d.name === 'secure')) {
            out.push(v('BYS-SEC-001', m.file.relPath, p.line, `secret-like parameter ${p.name} is not @secure()`));
          }
        }
      }
      return out;
    },
  },
  {
    id: 'BYS-SEC-002',
    description: 'No secrets or keys in outputs: no list*() calls, no @secure parameters, no connection strings or keys.',
    guards: 'template outputs (all modules, main)',
    check: (ws) => {
      const out: Violation[] = [];
      for (const m of all(ws)) {
        const secureParams = new Set(m.params.filter((p) => p.decorators.some((d) => d.name === 'secure')).map((p) => p.name));
        for (const o of m.outputs) {
          const problems: string[] = [];
          if (o.decorators.some((d) => d.name === 'secure')) problems.push('is @secure()');
          if (calledFunctions(o.value).some((f) => /^list/i.test(f))) problems.push('calls list*()');
          if (identifiers(o.value).some((id) => secureParams.has(id))) problems.push('returns a @secure parameter');
          if (/(connectionstring|primarykey|secondarykey|masterkey|accountkey|password|secret)/i.test(o.value.text + o.name)) problems.push('exposes a key or connection string');
          if (problems.length) out.push(v('BYS-SEC-002', m.file.relPath, o.line, `output ${o.name} ${problems.join(', ')}`));
        }
      }
      return out;
    },
  },
  {
    id: 'BYS-RBAC-001',
    description: 'Every role assignment is named guid(scope, principalId, roleDefinitionId) so it is idempotent and unique per grant.',
    guards: 'Microsoft.Authorization/roleAssignments, Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments',
    check: (ws) =>
      [...deployed(ws, T.roleAssignment), ...deployed(ws, T.sqlRoleAssignment)].flatMap(({ r, m }) => {
        const name = getPath(m, r.body, 'name');
        const call = name?.type === 'call_expression' ? name : undefined;
        const args = call?.childForFieldName('arguments')?.namedChildren.filter((a): a is SyntaxNode => !!a) ?? [];
        const ok =
          call?.childForFieldName('function')?.text === 'guid' &&
          args.length >= 3 &&
          /principalid/i.test(args[1]?.text ?? '') &&
          /role/i.test(args[2]?.text ?? '');
        return ok ? [] : [at('BYS-RBAC-001', r, `name is ${name?.text ?? 'unset'} (expected guid(scope, principalId, roleDefinitionId))`, name)];
      }),
  },
  {
    id: 'BYS-RBAC-002',
    description: 'Every role assignment names its principal (principalId, and principalType for Azure RBAC) and a role definition.',
    guards: 'Microsoft.Authorization/roleAssignments, Microsoft.DocumentDB/databaseAccounts/sqlRoleAssignments',
    check: (ws) =>
      [
        ...deployed(ws, T.roleAssignment).map((x) => ({ ...x, required: ['principalId', 'principalType', 'roleDefinitionId'] })),
        ...deployed(ws, T.sqlRoleAssignment).map((x) => ({ ...x, required: ['principalId', 'roleDefinitionId', 'scope'] })),
      ].flatMap(({ r, m, required }) =>
        required
          .filter((key) => {
            const node = getPath(m, r.body, `properties.${key}`);
            return !node || literal(node) === '' || literal(node) === null;
          })
          .map((key) => at('BYS-RBAC-002', r, `properties.${key} is missing or empty`)),
      ),
  },
  {
    id: 'BYS-RBAC-003',
    description: 'Every role is a specific least-privilege built-in role from the catalogue: never Owner, Contributor, User Access Administrator or other administrative roles; Cosmos DB grants use built-in data roles.',
    guards: 'Microsoft.Authorization/roleAssignments, sqlRoleAssignments, the builtInRoleIds catalogue',
    check: (ws) => {
      const out: Violation[] = [];
      const catalogue = new Set<string>();
      for (const m of all(ws)) {
        for (const s of stringLiterals(m.file.root)) {
          const role = PRIVILEGED_ROLE_IDS[s.value.toLowerCase()];
          if (role) out.push(v('BYS-RBAC-003', m.file.relPath, line(s.node), `privileged role ${role} (${s.value})`));
        }
        const cat = m.vars.find((x) => x.name === 'builtInRoleIds');
        for (const key of properties(cat?.value).keys()) catalogue.add(key);
      }
      for (const m of all(ws)) {
        // Grants composed in orchestrators must name a catalogue role (or pass one through).
        const grants = descendants(m.file.root, 'object_property').filter(
          (x) => x.namedChildren[0]?.text === 'roleDefinitionId' && !insideTypeDeclaration(x),
        );
        for (const p of grants) {
          const value = p.namedChildren[1];
          const text = value?.text ?? '';
          const member = text.match(/^builtInRoleIds\.([A-Za-z0-9_]+)$/);
          const passThrough = /^[A-Za-z_][A-Za-z0-9_]*\.roleDefinitionId$/.test(text);
          const wrapped = /^subscriptionResourceId\('Microsoft\.Authorization\/roleDefinitions', [A-Za-z_][A-Za-z0-9_]*\.roleDefinitionId\)$/.test(text);
          const cosmosRole = /^[A-Za-z_][A-Za-z0-9_]*\.id$/.test(text) && m.resources.some((r) => r.type === T.sqlRoleDefinition && r.existing && text === `${r.symbol}.id`);
          // A custom role defined in the same file (its permissions are checked by BYS-RBAC-004).
          const customRole = m.resources.some((r) => r.type === T.roleDefinition && !r.existing && text === `${r.symbol}.id`);
          if (member && !catalogue.has(member[1] ?? '')) out.push(v('BYS-RBAC-003', m.file.relPath, line(p), `role ${text} is not in builtInRoleIds`));
          else if (!member && !passThrough && !wrapped && !cosmosRole && !customRole) out.push(v('BYS-RBAC-003', m.file.relPath, line(p), `role ${text} is not a catalogue role`));
        }
        // Cosmos DB: only the built-in data roles, never a custom wildcard definition.
        for (const r of m.resources.filter((x) => x.type === T.sqlRoleDefinition)) {
          const name = literal(getPath(m, r.body, 'name'));
          if (!r.existing || !['00000000-0000-0000-0000-000000000001', '00000000-0000-0000-0000-000000000002'].includes(String(name))) {
            out.push(at('BYS-RBAC-003', r, 'Cosmos DB SQL role is not a built-in data role'));
          }
        }
      }
      return out;
    },
  },
  {
    id: 'BYS-RBAC-004',
    description: 'Custom role definitions are narrow: no wildcard, delete, key-listing/regeneration or Microsoft.Authorization actions, no wildcard data actions, assignable only in the stamp resource group, named with guid().',
    guards: 'Microsoft.Authorization/roleDefinitions',
    check: (ws) =>
      deployed(ws, T.roleDefinition).flatMap(({ r, m }) => {
        const out: Violation[] = [];
        if (getPath(m, r.body, 'name')?.type !== 'call_expression' || !/^guid\(/.test(getPath(m, r.body, 'name')?.text ?? '')) {
          out.push(at('BYS-RBAC-004', r, 'name is not a guid()'));
        }
        for (const perm of arrayElements(m, getPath(m, r.body, 'properties.permissions'))) {
          for (const kind of ['actions', 'dataActions']) {
            for (const a of arrayElements(m, getPath(m, perm, kind))) {
              const value = literal(a);
              const bad = typeof value !== 'string' || (kind === 'actions' ? FORBIDDEN_CUSTOM_ACTION.test(value) : value.includes('*'));
              if (bad) out.push(at('BYS-RBAC-004', r, `${kind} entry ${a.text} is too broad`, a));
            }
          }
        }
        // Compare the array text: the grammar splits `resourceGroup().id` into several array children.
        const scopes = (getPath(m, r.body, 'properties.assignableScopes')?.text ?? '').replace(/[\[\]\s]/g, '');
        if (scopes !== 'resourceGroup().id') {
          out.push(at('BYS-RBAC-004', r, `assignableScopes ${scopes || 'unset'} (expected resourceGroup().id only)`));
        }
        return out;
      }),
  },
  {
    id: 'BYS-DATA-001',
    description: "The GPU job's KEDA azure-queue scaler authenticates with the job's managed identity (no secret) and watches the stamp's own storage account.",
    guards: 'Microsoft.App/jobs (eventTriggerConfig.scale.rules)',
    check: (ws) => {
      const out: Violation[] = [];
      for (const { r, m } of deployed(ws, T.job)) {
        // Manual and scheduled jobs (e.g. the secrets bootstrap) are not queue-scaled.
        const trigger = literal(getPath(m, r.body, 'properties.configuration.triggerType'));
        if (trigger === 'Manual' || trigger === 'Schedule') continue;
        const rules = arrayElements(m, getPath(m, r.body, 'properties.configuration.eventTriggerConfig.scale.rules'));
        const queueRules = rules.filter((x) => literal(getPath(m, x, 'type')) === 'azure-queue');
        if (queueRules.length === 0) out.push(at('BYS-DATA-001', r, 'no azure-queue scale rule'));
        for (const rule of queueRules) {
          if (!getPath(m, rule, 'identity')) out.push(at('BYS-DATA-001', r, 'queue scaler has no managed identity', rule));
          if (getPath(m, rule, 'auth')) out.push(at('BYS-DATA-001', r, 'queue scaler uses secret-based auth', rule));
          const account = getPath(m, rule, 'metadata.accountName');
          const root = account?.text.split('.')[0] ?? '';
          const fromStorage =
            m.resources.some((x) => x.symbol === root && x.type === T.storage) || m.params.some((p) => p.name === root && /storage/i.test(p.name));
          if (!account || literal(account) !== undefined || !fromStorage) {
            out.push(at('BYS-DATA-001', r, `scaler accountName ${account?.text ?? 'unset'} is not the stamp storage parameter`, account ?? rule));
          }
        }
      }
      out.push(...stampStorageWiring(ws, 'BYS-DATA-001', 'redaction-job.bicep'));
      return out;
    },
  },
  {
    id: 'BYS-DATA-002',
    description: "The function app's host storage and durable task hub (AzureWebJobsStorage) live in the stamp's own storage account, by managed identity (no connection string).",
    guards: 'Microsoft.Web/sites (app settings)',
    check: (ws) => {
      const out: Violation[] = [];
      for (const { r, m } of deployed(ws, T.site)) {
        const configs = deployed(ws, T.siteConfig).filter((c) => c.m === m && getPath(m, c.r.body, 'parent')?.text === r.symbol);
        const settingsNodes = [
          ...configs.map((c) => getPath(m, c.r.body, 'properties')),
          getPath(m, r.body, 'properties.siteConfig.appSettings'),
        ].filter((n): n is SyntaxNode => !!n);
        const settings = new Map<string, SyntaxNode>();
        for (const node of settingsNodes) for (const [k, val] of objectEntries(m, node)) settings.set(k, val);
        if (settings.has('AzureWebJobsStorage')) out.push(at('BYS-DATA-002', r, 'AzureWebJobsStorage is a connection string', settings.get('AzureWebJobsStorage')));
        if (literal(settings.get('AzureWebJobsStorage__credential')) !== 'managedidentity') out.push(at('BYS-DATA-002', r, 'AzureWebJobsStorage__credential is not managedidentity'));
        const roots = new Set<string>();
        for (const svc of ['blob', 'queue', 'table']) {
          const node = settings.get(`AzureWebJobsStorage__${svc}ServiceUri`);
          const root = node?.text.split('.')[0] ?? '';
          const isStorage = m.resources.some((x) => x.symbol === root && x.type === T.storage);
          if (!node || !isStorage) out.push(at('BYS-DATA-002', r, `AzureWebJobsStorage__${svc}ServiceUri does not come from the stamp storage account`, node));
          roots.add(root);
        }
        if (roots.size > 1) out.push(at('BYS-DATA-002', r, 'host storage services point at different accounts'));
        if (!settings.has('TASKHUB_NAME')) out.push(at('BYS-DATA-002', r, 'TASKHUB_NAME (durable task hub) is not set'));
      }
      out.push(...stampStorageWiring(ws, 'BYS-DATA-002', 'function-app.bicep'));
      return out;
    },
  },
  {
    id: 'BYS-GOV-001',
    description: "Each stamp resource group carries the built-in Allowed locations policy (e56962a6-…) with the geography's allowed regions.",
    guards: 'Microsoft.Authorization/policyAssignments (per stamp resource group)',
    check: (ws) => {
      const out: Violation[] = [];
      const assignments = deployed(ws, T.policyAssignment).filter(({ r, m }) =>
        (resolve(m, getPath(m, r.body, 'properties.policyDefinitionId'))?.text ?? '').includes('e56962a6-4747-49cd-b67b-bf8b01975c4c'),
      );
      if (assignments.length === 0) out.push(v('BYS-GOV-001', '(workspace)', 0, 'no Allowed locations policy assignment'));
      for (const { r, m } of assignments) {
        const list = getPath(m, r.body, 'properties.parameters.listOfAllowedLocations.value');
        if (!list || list.type !== 'identifier' || !m.params.some((p) => p.name === list.text)) {
          out.push(at('BYS-GOV-001', r, 'listOfAllowedLocations does not come from the geography parameter', list));
        }
        if (literal(getPath(m, r.body, 'properties.enforcementMode')) === 'DoNotEnforce') out.push(at('BYS-GOV-001', r, 'policy is not enforced'));
      }
      const policyModules = modulesByPath(ws, 'allowed-locations.bicep');
      const orchestrators = new Set([...modulesByPath(ws, 'storage-account.bicep')].map(({ m }) => m.file.relPath));
      for (const rel of orchestrators) {
        const mod = policyModules.find(({ m }) => m.file.relPath === rel);
        if (!mod) out.push(v('BYS-GOV-001', rel, 1, 'stamp does not deploy the Allowed locations policy'));
        else if (!/allowedRegions$/.test(moduleParam(mod.m, mod.mod, 'allowedRegions')?.text ?? '')) {
          out.push(v('BYS-GOV-001', rel, mod.mod.line, 'allowedRegions is not the geography allowedRegions'));
        }
      }
      return out;
    },
  },
];

const YEAR_SECONDS = 365 * 86400;

/** An audit TTL is safe when it is off (0 here, absent in Cosmos) or at least a year, also through a days parameter × 86400. */
function auditTtlSafe(m: FileModel, node: SyntaxNode): boolean {
  const lit = literal(node);
  if (typeof lit === 'number') return lit === 0 || lit >= YEAR_SECONDS;
  if (node.type !== 'binary_expression') return false;
  const [left, right] = node.namedChildren.filter((c): c is SyntaxNode => !!c);
  if (literal(right) !== 86400 || left?.type !== 'identifier') return false;
  const p = paramOf(m, left.text);
  if (!p) return false;
  const allowed = p.decorators.find((d) => d.name === 'allowed');
  if (allowed) {
    const values = arrayElements(m, allowed.args[0]).map((e) => literal(e));
    return values.length > 0 && values.every((x) => typeof x === 'number' && (x === 0 || x >= 365));
  }
  const min = literal(p.decorators.find((d) => d.name === 'minValue')?.args[0]);
  return typeof min === 'number' && min >= 365;
}

/**
 * Properties of an object expression, following variables and composition: `union(a, b, …)` and both
 * branches of `cond ? a : b` contribute their properties (later arguments win, as in union()).
 */
export function objectEntries(m: FileModel, node: SyntaxNode | undefined, depth = 0): Map<string, SyntaxNode> {
  const out = new Map<string, SyntaxNode>();
  const value = resolve(m, node);
  if (!value || depth > 8) return out;
  if (value.type === 'object') return properties(value);
  const parts: (SyntaxNode | null | undefined)[] = [];
  if (value.type === 'call_expression' && value.childForFieldName('function')?.text === 'union') {
    parts.push(...(value.childForFieldName('arguments')?.namedChildren ?? []));
  } else if (value.type === 'ternary_expression') {
    parts.push(value.childForFieldName('consequence'), value.childForFieldName('alternative'));
  } else if (value.type === 'parenthesized_expression') {
    parts.push(...value.namedChildren);
  }
  for (const part of parts) for (const [k, val] of objectEntries(m, part ?? undefined, depth + 1)) out.set(k, val);
  return out;
}

/**
 * Elements of an array expression, following variables and composition: `concat(a, b, …)` and both
 * branches of `cond ? a : b` contribute their elements (every element that can be present).
 */
export function arrayItems(m: FileModel, node: SyntaxNode | undefined, depth = 0): SyntaxNode[] {
  const value = resolve(m, node);
  if (!value || depth > 8) return [];
  if (value.type === 'array') return arrayElements(m, value);
  const parts: (SyntaxNode | null | undefined)[] = [];
  if (value.type === 'call_expression' && value.childForFieldName('function')?.text === 'concat') {
    parts.push(...(value.childForFieldName('arguments')?.namedChildren ?? []));
  } else if (value.type === 'ternary_expression') {
    parts.push(value.childForFieldName('consequence'), value.childForFieldName('alternative'));
  } else if (value.type === 'parenthesized_expression') {
    parts.push(...value.namedChildren);
  }
  return parts.flatMap((part) => arrayItems(m, part ?? undefined, depth + 1));
}

function insideTypeDeclaration(node: SyntaxNode): boolean {
  for (let n: SyntaxNode | null = node.parent; n; n = n.parent) if (n.type === 'type_declaration' || n.type === 'parameter_declaration') return true;
  return false;
}

/**
 * In each stamp orchestrator (a file that deploys the storage module), the module `target` must
 * receive `storageAccountName` from that same storage module's outputs.
 */
function stampStorageWiring(ws: Workspace, rule: string, target: string): Violation[] {
  const out: Violation[] = [];
  for (const { mod: storageMod, m } of modulesByPath(ws, 'storage-account.bicep')) {
    for (const mod of m.modules.filter((x) => x.path.endsWith(target))) {
      const source = outputSource(moduleParam(m, mod, 'storageAccountName'));
      if (source !== storageMod.symbol) {
        out.push(v(rule, m.file.relPath, mod.line, `${mod.symbol} storageAccountName is not ${storageMod.symbol}.outputs.name (the stamp storage)`));
      }
    }
  }
  return out;
}

export function ruleById(id: string): PolicyRule {
  const rule = rules.find((r) => r.id === id);
  if (!rule) throw new Error(`unknown rule ${id}`);
  return rule;
}

