import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluate, formatViolation, loadWorkspace, rules, type Workspace } from '../policy/index.js';
import { literal, properties } from '../policy/model.js';
import { IMAGE_ANALYSIS_40_REGIONS, PRIVILEGED_ROLE_IDS } from '../policy/rules.js';

const here = dirname(fileURLToPath(import.meta.url));
let real: Workspace;
let broken: Workspace;

beforeAll(async () => {
  real = (await loadWorkspace(join(here, '..', 'bicep'))).workspace;
  broken = (await loadWorkspace(join(here, 'fixtures', 'broken'))).workspace;
});

describe('policy rule catalogue', () => {
  it('has unique ids, a description and the guarded resource for every rule', () => {
    const ids = rules.map((r) => r.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const rule of rules) {
      expect(rule.id).toMatch(/^BYS-[A-Z]+-\d{3}$/);
      expect(rule.description.length).toBeGreaterThan(20);
      expect(rule.guards.length).toBeGreaterThan(3);
    }
  });

  it('the real stamp has no violations at all', () => {
    expect(evaluate(real).map(formatViolation)).toEqual([]);
  });
});

describe.each(rules.map((r) => [r.id, r] as const))('%s', (_id, rule) => {
  it('passes on infra/bicep', () => {
    expect(evaluate(real, [rule]).map(formatViolation)).toEqual([]);
  });

  it('fails on the broken fixtures, pointing at a file and line', () => {
    const violations = evaluate(broken, [rule]);
    expect(violations.length).toBeGreaterThan(0);
    for (const v of violations) {
      expect(v.rule).toBe(rule.id);
      expect(v.file).toBeTruthy();
    }
  });
});

describe('specific failure modes', () => {
  const messages = (id: string) => evaluate(broken, rules.filter((r) => r.id === id)).map((v) => v.message).join('\n');

  it('flags geo-redundant storage and a literal region', () => {
    expect(messages('BYS-STG-003')).toMatch(/Standard_RAGRS/);
    expect(messages('BYS-LOC-001')).toMatch(/westeurope/);
  });

  it('flags a transient container without a lifecycle expiry', () => {
    expect(messages('BYS-STG-007')).toMatch(/exports/);
  });

  it('flags a container not partitioned by tenant and an audit TTL under a year', () => {
    expect(messages('BYS-COS-002')).toMatch(/\/id/);
    expect(messages('BYS-COS-002')).toMatch(/audit TTL/);
  });

  it('flags Owner and a custom Cosmos DB wildcard role', () => {
    expect(messages('BYS-RBAC-003')).toMatch(/Owner/);
    expect(messages('BYS-RBAC-003')).toMatch(/built-in data role/);
  });

  it('flags an ACS data location not taken from the geography, and a broad custom role', () => {
    expect(messages('BYS-LOC-003')).toMatch(/Europe/);
    expect(messages('BYS-LOC-003')).toMatch(/communicationDataLocation/);
    expect(messages('BYS-RBAC-004')).toMatch(/Microsoft\.Communication\/\*/);
    expect(messages('BYS-RBAC-004')).toMatch(/ListKeys/);
    expect(messages('BYS-RBAC-004')).toMatch(/assignableScopes/);
  });

  it('flags a queue scaler and task hub pointing away from the stamp storage', () => {
    expect(messages('BYS-DATA-001')).toMatch(/stamp storage/);
    expect(messages('BYS-DATA-002')).toMatch(/connection string/);
  });

  it('flags secrets in parameters and outputs', () => {
    expect(messages('BYS-SEC-001')).toMatch(/storageAccountKey/);
    expect(messages('BYS-SEC-001')).toMatch(/adminPassword/);
    expect(messages('BYS-SEC-002')).toMatch(/list\*\(\)/);
  });

  it('flags an Azure AI Vision account with keys, a public endpoint, no subdomain, no private endpoint or logs', () => {
    const ai = messages('BYS-AI-001');
    expect(ai).toMatch(/disableLocalAuth is false/);
    expect(ai).toMatch(/publicNetworkAccess is 'Enabled'/);
    expect(ai).toMatch(/defaultAction is 'Allow'/);
    expect(ai).toMatch(/customSubDomainName/);
    expect(ai).toMatch(/no private endpoint/);
    expect(messages('BYS-MON-001')).toMatch(/Microsoft\.CognitiveServices\/accounts/);
    expect(messages('BYS-RBAC-003')).toMatch(/Cognitive Services Contributor/);
  });

  it('flags a Vision account outside the geography visionRegion, and a visionRegion outside the geography or without Image Analysis 4.0', () => {
    const loc = messages('BYS-LOC-004');
    expect(loc).toMatch(/vision location location is not the geography visionRegion/);
    expect(loc).toMatch(/'uksouth' is not in allowedRegions/);
    expect(loc).toMatch(/'uksouth' does not offer Image Analysis 4\.0/);
  });
});

describe('Azure AI Vision role and regions', () => {
  it('Cognitive Services User is in the catalogue, not a privileged role, and the RBAC rules accept the stamp granting it', () => {
    const types = real.models.find((m) => m.file.relPath === 'types.bicep');
    const id = literal(properties(types?.vars.find((x) => x.name === 'builtInRoleIds')?.value).get('cognitiveServicesUser'));
    expect(id).toBe('a97b65f3-24c7-4388-baec-2e87135dc908');
    expect(PRIVILEGED_ROLE_IDS[String(id)]).toBeUndefined();
    // The account-management role of the same family is refused.
    expect(PRIVILEGED_ROLE_IDS['25fbc0a9-bd7c-42a3-aa1a-3b75d497ee68']).toBe('Cognitive Services Contributor');
    const stamp = real.models.find((m) => m.file.relPath === 'stamp.bicep');
    expect(stamp?.file.root.text).toContain('roleDefinitionId: builtInRoleIds.cognitiveServicesUser');
    expect(evaluate(real, rules.filter((r) => r.id.startsWith('BYS-RBAC-'))).map(formatViolation)).toEqual([]);
  });

  it('every catalogue visionRegion offers Image Analysis 4.0; geographies without one leave the feature off', () => {
    const catalogue = real.models.find((m) => m.file.relPath === 'geographies.bicep');
    const regions = Object.fromEntries(
      (catalogue?.vars ?? [])
        .filter((x) => properties(x.value).has('primaryRegion'))
        .map((x) => [x.name, literal(properties(x.value).get('visionRegion')) ?? null]),
    );
    expect(regions).toEqual({ australia: 'australiaeast', newzealand: null, uk: null, us: 'westus2' });
    for (const r of Object.values(regions)) if (r) expect(IMAGE_ANALYSIS_40_REGIONS.has(String(r))).toBe(true);
  });
});
