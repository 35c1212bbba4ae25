/**
 * `npx bystander audit verify [--tenant <id>]` and `npx bystander keys rewrap` (dispatched by
 * bin/bystander.mjs). Settings come from the environment, exactly as the Function App's (identity-
 * based Cosmos endpoint and Key Vault in Azure); next to a running `npm start` from the settings file
 * the stack writes (cli/settings.ts), so nothing needs setting there. Exit codes: 0 ok, 1 broken
 * chain / failed re-wraps, 2 usage or configuration error.
 */
import { randomBytes } from 'node:crypto';
import { pathToFileURL } from 'node:url';
import { IncidentRecordSchema } from '../shared/domain/incident.js';
import { ConfigError, loadConfig } from '../shared/config/config.js';
import { cliSettings } from './settings.js';
import { auditTrailFor, keyWrapperFor, storageAdapters } from '../shared/composition.js';
import { CosmosDocumentStore, cosmosClient } from '../shared/adapters/azure/cosmos-store.js';
import { createChainedAuditSink } from '../shared/adapters/azure/audit-sink.js';
import { consoleLogger } from '../shared/adapters/console-logger.js';
import { AuditLog } from '../shared/audit/index.js';
import { DefaultAzureCredential, ManagedIdentityCredential } from '@azure/identity';
import { runAuditVerify } from './audit-verify.js';
import { runKeysRewrap } from './keys-rewrap.js';

const USAGE = 'usage: bystander audit verify [--tenant <id>]\n       bystander keys rewrap\n';

export function parseArgs(argv: string[]): { command: 'audit-verify'; tenant?: string } | { command: 'keys-rewrap' } | { command: 'usage' } {
  const [group, sub, ...rest] = argv;
  if (group === 'audit' && sub === 'verify') {
    if (rest.length === 0) return { command: 'audit-verify' };
    if (rest.length === 2 && rest[0] === '--tenant' && /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/.test(rest[1] ?? '')) return { command: 'audit-verify', tenant: rest[1]! };
    return { command: 'usage' };
  }
  if (group === 'keys' && sub === 'rewrap' && rest.length === 0) return { command: 'keys-rewrap' };
  return { command: 'usage' };
}

async function main(argv: string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.command === 'usage') {
    process.stderr.write(USAGE);
    return 2;
  }
  const settings = cliSettings();
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig(settings.env);
  } catch (err) {
    if (err instanceof ConfigError && settings.hint) throw new ConfigError(`${err.message}\n(${settings.hint})`);
    throw err;
  }
  const cosmos = cosmosClient({
    endpoint: config.COSMOS__accountEndpoint,
    ...(config.COSMOS_KEY ? { key: config.COSMOS_KEY } : { credential: config.COSMOS__clientId ? new ManagedIdentityCredential({ clientId: config.COSMOS__clientId }) : new DefaultAzureCredential() }),
  });
  const out = (line: string) => process.stdout.write(`${line}\n`);
  // The chain and its checkpoints (immutable blobs in Azure; locally the journal-backed store and the checkpoint file).
  const { store: auditStore, checkpoints } = auditTrailFor(config, cosmos, storageAdapters(config).blobs);

  if (args.command === 'audit-verify') {
    // Every tenant with a chain or a checkpoint: a chain gone entirely is reported against its checkpoints.
    const tenants = args.tenant ? [args.tenant] : [...new Set([...(await auditStore.tenants()), ...(await checkpoints.tenants())])].sort();
    return runAuditVerify(auditStore, tenants, out, checkpoints);
  }

  const container = cosmos.database(config.COSMOS_DATABASE).container('incidents');
  const { resources } = await container.items.query<{ id: string; tenantId: string }>('SELECT c.id, c.tenantId FROM c WHERE IS_DEFINED(c.dataKey)').fetchAll();
  const logger = consoleLogger('bystander-cli');
  // The audit log records ids only; no client IP is ever passed here, so the origin key is unused.
  const audit = createChainedAuditSink(new AuditLog(auditStore, { logger }), { id: config.AUDIT_ORIGIN_KEY_ID, key: randomBytes(32) });
  const { exitCode } = await runKeysRewrap(
    { incidents: new CosmosDocumentStore(cosmos, config.COSMOS_DATABASE, 'incidents', IncidentRecordSchema), wrapper: keyWrapperFor(config), audit },
    resources,
    out,
  );
  return exitCode;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`bystander: ${err instanceof Error ? err.message : String(err)}\n`);
      process.exit(2);
    },
  );
}
