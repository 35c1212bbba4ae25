/**
 * The stamp must give the app exactly what the app reads: these tests compare the Bicep templates with
 * the app's own constants and schemas (containers, queues, Cosmos containers, settings, alert names,
 * the worker image and the Event Grid target). When application code adds a container, a setting or
 * an alert, a test here fails until infra/ follows.
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadWorkspace, type Workspace } from '../policy/index.js';
import { arrayElements, getPath, literal, properties, resolve, type FileModel } from '../policy/model.js';
import { arrayItems, objectEntries } from '../policy/rules.js';
import { ConfigSchema } from '../../shared/config/config.js';
import { CONTAINERS, QUEUES } from '../../shared/domain/incident.js';
import { EXPORTS_CONTAINER, PURGE_QUEUE } from '../../shared/domain/lifecycle.js';
import { WEBHOOK_EVENTS_POISON_QUEUE, WEBHOOK_EVENTS_QUEUE } from '../../shared/webhooks/events.js';
import { COSMOS_CONTAINERS } from '../../shared/composition.js';
import { WorkerConfigSchema } from '../../worker/main.js';
import { PLATE_DETECTORS } from '../../worker/engine/detect/plate-detector.js';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..', '..');
const read = (rel: string) => readFileSync(join(root, rel), 'utf8');
let ws: Workspace;

beforeAll(async () => {
  ws = (await loadWorkspace(join(here, '..', 'bicep'))).workspace;
});

const model = (suffix: string): FileModel => {
  const m = ws.models.find((x) => x.file.relPath.endsWith(suffix));
  if (!m) throw new Error(`no ${suffix}`);
  return m;
};
const varStrings = (m: FileModel, name: string): string[] =>
  arrayElements(m, m.vars.find((v) => v.name === name)?.value).map((e) => String(literal(e)));
const schemaKeys = (schema: unknown): string[] => Object.keys((schema as { shape?: Record<string, unknown> }).shape ?? {});
const sorted = (xs: Iterable<string>) => [...new Set(xs)].sort();

/** Every non-test TypeScript file under the given folders. */
function sources(...dirs: string[]): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      if (name === 'node_modules') continue;
      if (statSync(path).isDirectory()) walk(path);
      else if (name.endsWith('.ts') && !name.endsWith('.spec.ts')) out.push(path);
    }
  };
  for (const d of dirs) walk(join(root, d));
  return out;
}

describe('storage matches the app', () => {
  it('blob containers = CONTAINERS + EXPORTS_CONTAINER', () => {
    expect(sorted(varStrings(model('storage/storage-account.bicep'), 'evidenceContainers'))).toEqual(
      sorted([...Object.values(CONTAINERS), EXPORTS_CONTAINER]),
    );
  });

  it('queues = QUEUES + PURGE_QUEUE + the webhook event queues', () => {
    expect(sorted(varStrings(model('storage/storage-account.bicep'), 'queues'))).toEqual(
      sorted([...Object.values(QUEUES), PURGE_QUEUE, WEBHOOK_EVENTS_QUEUE, WEBHOOK_EVENTS_POISON_QUEUE]),
    );
  });
});

describe('Cosmos DB matches shared/composition.ts', () => {
  it('containers = COSMOS_CONTAINERS and every store the composition root opens', () => {
    const text = read('shared/composition.ts');
    const opened = [...text.matchAll(/(?:new CosmosDocumentStore|cosmosDueIndex)\([^)]*?'([A-Za-z0-9_-]+)'/g)].map((x) => x[1] ?? '');
    const m = model('cosmos/cosmos-account.bicep');
    const infra = arrayElements(m, m.vars.find((v) => v.name === 'containers')?.value).map((e) => String(literal(getPath(m, e, 'name'))));
    expect(sorted(infra)).toEqual(sorted([...COSMOS_CONTAINERS, ...opened]));
  });
});

describe('function app settings match shared/config/config.ts', () => {
  const HOST_SETTINGS = [
    'AzureWebJobsStorage__credential',
    'AzureWebJobsStorage__clientId',
    'AzureWebJobsStorage__blobServiceUri',
    'AzureWebJobsStorage__queueServiceUri',
    'AzureWebJobsStorage__tableServiceUri',
    'TASKHUB_NAME',
    'APPLICATIONINSIGHTS_CONNECTION_STRING',
    'APPLICATIONINSIGHTS_AUTHENTICATION_STRING',
    'AZURE_CLIENT_ID',
    // Read by the Functions host for `connection: 'STORAGE'` (queue trigger), not by the app schema.
    'STORAGE__credential',
  ];
  const REQUIRED = [
    'BYSTANDER_MODE', 'BYSTANDER_GEOGRAPHY',
    'STORAGE__blobServiceUri', 'STORAGE__queueServiceUri', 'STORAGE__clientId',
    'COSMOS__accountEndpoint', 'COSMOS__clientId', 'COSMOS_DATABASE',
    'KEYVAULT__uri', 'KEYVAULT__keyName', 'KEYVAULT__clientId',
    'AUTH__issuer', 'AUTH__audience', 'AUTH__jwksUri',
    'AUDIT_ORIGIN_KEY', 'AUDIT_ORIGIN_KEY_ID', 'PUBLIC_BASE_URL',
    'ACS_EMAIL__endpoint', 'ACS_EMAIL__clientId', 'ACS_EMAIL_SENDER', 'SHARE_WEBHOOK_SECRET',
    'UPLOAD_URL_TTL_MINUTES', 'REDACTION_TIMEOUT_MINUTES', 'REDACTION_MAX_ATTEMPTS',
    'REVIEW_DEFAULT', 'REVIEW_DEADLINE_HOURS',
  ];
  const LOCAL_ONLY = ['STORAGE_CONNECTION_STRING', 'COSMOS_KEY', 'AUTH_DEV_KEY_DIR', 'BYSTANDER_DATA_DIR', 'WORKER_ENABLED'];
  const settings = () => {
    const m = model('function/function-app.bicep');
    return objectEntries(m, m.vars.find((v) => v.name === 'appSettings')?.value);
  };

  it('sets every setting the app needs in Azure', () => {
    const keys = [...settings().keys()];
    expect(REQUIRED.filter((k) => !keys.includes(k))).toEqual([]);
    expect(REQUIRED.filter((k) => !schemaKeys(ConfigSchema).includes(k))).toEqual([]);
  });

  it('sets nothing the app, the host or the SDK does not read, and no local-only setting', () => {
    const known = new Set([...schemaKeys(ConfigSchema), ...HOST_SETTINGS]);
    const keys = [...settings().keys()];
    expect(keys.filter((k) => !known.has(k))).toEqual([]);
    expect(keys.filter((k) => LOCAL_ONLY.includes(k))).toEqual([]);
  });

  it('offers the optional per-tenant retention policies', () => {
    expect(settings().has('RETENTION_POLICIES')).toBe(true);
    expect(schemaKeys(ConfigSchema)).toContain('RETENTION_POLICIES');
  });

  it('BYSTANDER_MODE is azure and secrets are Key Vault references', () => {
    const s = settings();
    expect(literal(s.get('BYSTANDER_MODE'))).toBe('azure');
    for (const key of ['AUDIT_ORIGIN_KEY', 'SHARE_WEBHOOK_SECRET']) expect(s.get(key)?.text).toMatch(/^'@Microsoft\.KeyVault\(SecretUri=/);
  });

  it('host.json task hub and route prefix agree with the settings and the docs', () => {
    const host = JSON.parse(read('host.json')) as { extensions: { durableTask: { hubName: string }; http?: { routePrefix?: string } } };
    expect(host.extensions.durableTask.hubName).toBe('%TASKHUB_NAME%');
    expect(settings().has('TASKHUB_NAME')).toBe(true);
    expect(host.extensions.http?.routePrefix).toBe('');
    expect(read('infra/README.md')).toMatch(/\/api\/health/);
  });

  it('every geography code is a valid BYSTANDER_GEOGRAPHY', () => {
    const codes = model('geographies.bicep').vars.map((v) => literal(properties(v.value).get('code'))).filter((c): c is string => typeof c === 'string');
    expect(codes.length).toBeGreaterThanOrEqual(4);
    const field = (ConfigSchema as unknown as { shape: Record<string, { safeParse(v: unknown): { success: boolean } }> }).shape.BYSTANDER_GEOGRAPHY;
    for (const code of codes) expect(field?.safeParse(code).success, code).toBe(true);
  });
});

describe('redaction job matches worker/main.ts and worker/Dockerfile', () => {
  const job = () => {
    const m = model('containerapps/redaction-job.bicep');
    const resource = m.resources.find((r) => r.type === 'Microsoft.App/jobs');
    const containers = arrayElements(m, getPath(m, resource?.body, 'properties.template.containers'));
    return { m, env: getPath(m, containers[0], 'env') };
  };
  /** Every variable the job can set (both branches of the optional Vision settings). */
  const env = () => {
    const { m, env: node } = job();
    return arrayItems(m, node).map((e) => String(literal(getPath(m, e, 'name'))));
  };
  const varItems = (name: string) => {
    const m = model('containerapps/redaction-job.bicep');
    return arrayItems(m, m.vars.find((x) => x.name === name)?.value).map((e) => ({
      name: String(literal(getPath(m, e, 'name'))),
      value: getPath(m, e, 'value'),
    }));
  };

  it('sets the WorkerConfigSchema settings and nothing the worker does not read', () => {
    const names = env();
    const required = ['STORAGE__blobServiceUri', 'STORAGE__queueServiceUri', 'STORAGE__clientId', 'KEYVAULT__uri', 'KEYVAULT__keyName', 'KEYVAULT__clientId', 'BYSTANDER_DEVICE', 'WORKER_MAX_IDLE_SECONDS', 'WORKER_VISIBILITY_SECONDS', 'APPLICATIONINSIGHTS_CONNECTION_STRING', 'APPLICATIONINSIGHTS_AUTHENTICATION_STRING'];
    expect(required.filter((k) => !names.includes(k))).toEqual([]);
    expect(required.filter((k) => !varItems('baseEnv').some((x) => x.name === k))).toEqual([]);
    const known = new Set([...schemaKeys(WorkerConfigSchema), 'AZURE_CLIENT_ID']);
    expect(names.filter((k) => !known.has(k))).toEqual([]);
    expect(names).not.toContain('STORAGE_CONNECTION_STRING');
    expect(names.filter((k) => /key$|apikey|secret/i.test(k) && k !== 'KEYVAULT__keyName')).toEqual([]);
  });

  it('sets the Azure AI Vision plate detector only with the Vision account, by managed identity', () => {
    const { m, env: node } = job();
    expect(node?.text).toBe('concat(baseEnv, visionEnv)');
    // visionEnv = empty(visionEndpoint) ? [] : [ … ]: nothing unless the stamp passes an endpoint.
    const vision = resolve(m, m.vars.find((x) => x.name === 'visionEnv')?.value);
    expect(vision?.type).toBe('ternary_expression');
    expect(vision?.childForFieldName('condition')?.text).toBe('empty(visionEndpoint)');
    expect(vision?.childForFieldName('consequence')?.text).toBe('[]');
    const items = varItems('visionEnv');
    expect(items.map((x) => x.name).sort()).toEqual(['BYSTANDER_PLATE_DETECTOR', 'VISION__clientId', 'VISION__endpoint']);
    const detector = literal(items.find((x) => x.name === 'BYSTANDER_PLATE_DETECTOR')?.value);
    expect(detector).toBe('azure-vision');
    expect(PLATE_DETECTORS).toContain(detector);
    expect(items.find((x) => x.name === 'VISION__endpoint')?.value?.text).toBe('visionEndpoint');
    expect(items.find((x) => x.name === 'VISION__clientId')?.value?.text).toBe('identity.clientId');
    expect(items.map((x) => x.name)).not.toContain('VISION__key');

    // The stamp passes the endpoint only when it deploys the account (flag and a geography visionRegion).
    const stamp = model('stamp.bicep');
    const redaction = stamp.modules.find((x) => x.path.endsWith('redaction-job.bicep'));
    expect(getPath(stamp, redaction?.body, 'params.visionEndpoint')?.text).toBe("visionEnabled ? vision.outputs.endpoint : ''");
    const enabled = resolve(stamp, stamp.vars.find((x) => x.name === 'visionEnabled')?.value)?.text ?? '';
    expect(enabled).toMatch(/shared\.\?azureVisionPlates \?\? false/);
    expect(enabled).toMatch(/!empty\(visionRegion\)/);
  });

  it('the worker accepts the settings the job gets, with and without Vision', () => {
    const base = {
      STORAGE__blobServiceUri: 'https://stbysau.blob.core.windows.net/',
      STORAGE__queueServiceUri: 'https://stbysau.queue.core.windows.net/',
      STORAGE__clientId: '00000000-0000-0000-0000-000000000001',
      KEYVAULT__uri: 'https://kv-bysau.vault.azure.net/',
      KEYVAULT__keyName: 'kek-evidence',
      KEYVAULT__clientId: '00000000-0000-0000-0000-000000000001',
      BYSTANDER_DEVICE: 'cuda',
      WORKER_MAX_IDLE_SECONDS: '60',
      WORKER_VISIBILITY_SECONDS: '300',
    };
    const local = WorkerConfigSchema.safeParse(base);
    expect(local.success).toBe(true);
    expect(local.data?.BYSTANDER_PLATE_DETECTOR).toBe('local');
    // account.properties.endpoint of a ComputerVision account with a custom subdomain (trailing slash).
    const withVision = WorkerConfigSchema.safeParse({
      ...base,
      BYSTANDER_PLATE_DETECTOR: 'azure-vision',
      VISION__endpoint: 'https://cv-bys-au-abc123.cognitiveservices.azure.com/',
      VISION__clientId: '00000000-0000-0000-0000-000000000001',
    });
    expect(withVision.error?.issues ?? []).toEqual([]);
    expect(withVision.data?.BYSTANDER_PLATE_DETECTOR).toBe('azure-vision');
  });

  it('the job identity gets Cognitive Services User on the Vision account, the role the worker documents', () => {
    const stamp = model('stamp.bicep');
    const vision = stamp.modules.find((x) => x.path.endsWith('cognitiveservices/vision.bicep'));
    const grants = arrayElements(stamp, getPath(stamp, vision?.body, 'params.roleAssignments'));
    expect(grants.map((g) => [getPath(stamp, g, 'principalId')?.text, getPath(stamp, g, 'roleDefinitionId')?.text])).toEqual([
      ['workerIdentity.outputs.principalId', 'builtInRoleIds.cognitiveServicesUser'],
    ]);
    const types = model('types.bicep');
    const roles = properties(types.vars.find((x) => x.name === 'builtInRoleIds')?.value);
    // Azure built-in role "Cognitive Services User".
    expect(literal(roles.get('cognitiveServicesUser'))).toBe('a97b65f3-24c7-4388-baec-2e87135dc908');
    expect(read('worker/engine/detect/azure-vision.ts')).toMatch(/Cognitive Services User/);
    expect(read('worker/engine/detect/azure-vision.ts')).toMatch(/features=read,people/);
  });

  it('the image is the gpu stage, whose entry point is worker/main.ts', () => {
    const dockerfile = read('worker/Dockerfile');
    const gpu = dockerfile.slice(dockerfile.indexOf(' AS gpu'), dockerfile.indexOf(' AS cpu'));
    expect(gpu).toMatch(/ENTRYPOINT \[[^\]]*"worker\/main\.ts"\]/);
    expect(gpu).toMatch(/BYSTANDER_DEVICE=cuda/);
    expect(read('infra/hooks/worker-image.sh')).toMatch(/--target "\$target"/);
    expect(read('infra/hooks/worker-image.sh')).toMatch(/BYSTANDER_WORKER_TARGET:-gpu/);
  });
});

describe('Event Grid and alerts match the app', () => {
  it('the hook targets the registered Event Grid trigger', () => {
    const fn = read('infra/hooks/event-subscription.sh').match(/BYSTANDER_BLOB_FUNCTION:-([A-Za-z]+)/)?.[1];
    expect(fn).toBe('onEvidenceUploaded');
    expect(read('functions/index.ts')).toMatch(new RegExp(`app\\.eventGrid\\('${fn}'`));
  });

  it('every alert the app logs has a scheduled query rule', () => {
    const emitted = sorted(sources('shared', 'functions', 'worker').flatMap((f) => [...readFileSync(f, 'utf8').matchAll(/\balert: '([a-z0-9-]+)'/g)].map((x) => x[1] ?? '')));
    expect(emitted.length).toBeGreaterThan(0);
    const alerts = read('infra/bicep/modules/monitoring/alerts.bicep');
    expect(emitted.filter((a) => !alerts.includes(`tostring(line.alert) == "${a}"`))).toEqual([]);
  });
});
