/**
 * `npm start`: the whole pipeline on this machine, on embedded defaults. No Azure account, no
 * Functions Core Tools, no Docker. Ctrl+C stops everything.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DEV_TENANT, startStack } from './stack.js';
import { buildConsole } from './console-build.js';
import { startTelemetry } from '../shared/adapters/telemetry/otel.js';

const port = Number(process.env.PORT ?? 7071);
const dataDir = process.env.BYSTANDER_DATA_DIR ?? '.bystander';

console.log('Starting Bystander (local stack: Azurite, Cosmos DB emulator, HTTP API, orchestrations, CPU worker)…');
// Traces and metrics: OTLP with OTEL_EXPORTER_OTLP_ENDPOINT, the console with BYSTANDER_TELEMETRY=console.
const telemetry = await startTelemetry({ serviceName: 'bystander-local' });
if (telemetry.exporter !== 'none') console.log(`Telemetry: ${telemetry.exporter}`);
await buildConsole().catch((err: unknown) => {
  console.error(`\nBystander could not build its console: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
const stack = await startStack({ dataDir, port }).catch((err: unknown) => {
  console.error(`\nBystander could not start: ${err instanceof Error ? err.message : String(err)}`);
  if (String(err).includes('EADDRINUSE')) console.error(`Port ${port} is in use: stop the other process or set PORT=…`);
  process.exit(1);
});

// The development tenant: tokens for each role, written where `npm run demo` finds them.
const tokens = {
  uploader: await stack.devToken(['uploader']),
  investigator: await stack.devToken(['investigator']),
  admin: await stack.devToken(['uploader', 'investigator', 'admin']),
};
await writeFile(join(stack.config.BYSTANDER_DATA_DIR, 'dev-tokens.json'), JSON.stringify({ tenantId: DEV_TENANT, url: stack.url, ...tokens }, null, 2), { mode: 0o600 });

console.log(`
Bystander is running (geography "${stack.config.BYSTANDER_GEOGRAPHY}", tenant "${DEV_TENANT}").

  Console   ${stack.url}/console/   (development sign-in: this local stack only)
  API       ${stack.url.replace('127.0.0.1', 'localhost')}/api
  Health    curl -s http://localhost:${port}/api/health
  Data      ${stack.config.BYSTANDER_DATA_DIR}/ (blobs, queues, records snapshot, keys)

Development bearer token (all roles, valid 12 h; per-role tokens are in ${join(stack.config.BYSTANDER_DATA_DIR, 'dev-tokens.json')}):

  export TOKEN=${tokens.admin}

Create an incident (it happened an hour ago; incidents past their retention are refused):

  export OCCURRED_AT=$(date -u -d '-1 hour' +%Y-%m-%dT%H:%M:%SZ)
  curl -s -X POST http://localhost:${port}/api/incidents -H "authorization: Bearer $TOKEN" \\
    -H 'content-type: application/json' -d '{"storeId":"store-001","occurredAt":"'"$OCCURRED_AT"'",
    "category":"theft","description":"Two bottles taken from aisle 4",
    "evidence":[{"fileName":"cam1.mp4","contentType":"video/mp4","sizeBytes":123456}]}'

Then PUT the file to the returned upload URL (header x-ms-blob-type: BlockBlob), or run \`npm run demo\`.
This local stack is not durable: orchestrations in flight are lost when it stops.
Press Ctrl+C to stop.
`);

let stopping = false;
for (const sig of ['SIGINT', 'SIGTERM'] as const) {
  process.on(sig, () => {
    if (stopping) return;
    stopping = true;
    console.log('\nStopping…');
    stack.stop().then(
      () => process.exit(0),
      () => process.exit(1),
    );
  });
}
