#!/usr/bin/env node
// Bystander CLI entry: `npx bystander <command>`. Runs the TypeScript sources through tsx (a
// dependency), so no build step is needed on a fresh clone.
//   redact <input> -o <output> …     redact one file (worker/cli.ts)
//   audit verify [--tenant T]         walk the audit hash chain (cli/main.ts)
//   keys rewrap                       re-wrap data keys with the current KEK version (cli/main.ts)
//   upload <incident> <evidence> <file>  resumable upload into an evidence slot (cli/upload.ts)
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const [command, ...rest] = process.argv.slice(2);
const USAGE =
  'usage: bystander <command>\n' +
  '  redact <input> -o <output> [--report <file>] [--subject <s>:<x>,<y>,<w>,<h>]... [--targets faces,plates]\n' +
  '         [--style pixelate|blur|solid] [--keep-audio] [--device cpu|cuda]   (bystander redact --help)\n' +
  '  audit verify [--tenant <id>]\n' +
  '  keys rewrap\n' +
  '  upload <incidentId> <evidenceId> <file> [--api <url>]   (resumable; token: BYSTANDER_TOKEN)\n' +
  '  --help, --version\n';
if (command === '--help' || command === '-h' || command === 'help') {
  process.stdout.write(USAGE);
  process.exit(0);
}
if (command === '--version' || command === '-V' || command === 'version') {
  const { version } = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  process.stdout.write(`bystander ${version}\n`);
  process.exit(0);
}
const entries = { redact: 'worker/cli-main.ts', audit: 'cli/main.ts', keys: 'cli/main.ts', upload: 'cli/upload.ts' };
const entry = entries[command ?? ''];
if (!entry || !existsSync(join(root, entry))) {
  process.stderr.write(USAGE);
  process.exit(2);
}
const args = command === 'redact' || command === 'upload' ? rest : [command, ...rest];
// tsx is resolved from this package, not from the working directory (`npx bystander` may run anywhere).
const tsx = import.meta.resolve('tsx');
const result = spawnSync(process.execPath, ['--import', tsx, join(root, entry), ...args], { stdio: 'inherit', cwd: process.cwd() });
process.exit(result.status ?? 1);
