/**
 * npm run infra:build [-- --geography australia | --params infra/bicep/params/uk.bicepparam]
 *                     [--location <region>] [--skip-what-if]
 *
 * Pre-deployment checks of the Bicep infrastructure:
 *  1. Always: parse every .bicep/.bicepparam with tree-sitter-bicep and evaluate the policy rules
 *     (infra/policy). Works on machines without the Bicep compiler.
 *  2. When `bicep` or `az` is on PATH: compile main.bicep and the parameter file
 *     (`bicep build` / `az bicep build`, `build-params`).
 *  3. When `az` is on PATH and logged in: `az deployment sub what-if` for the geography.
 * Exits non-zero on syntax errors, policy violations or a failed compile/what-if.
 */
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { checkDirectory, formatViolation, loadWorkspace } from '../policy/index.js';
import { literal, properties } from '../policy/model.js';

const infraDir = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const bicepDir = join(infraDir, 'bicep');
const mainBicep = join(bicepDir, 'main.bicep');

const { values } = parseArgs({
  options: {
    geography: { type: 'string', default: 'australia' },
    params: { type: 'string' },
    location: { type: 'string' },
    'skip-what-if': { type: 'boolean', default: false },
  },
});

const paramFile = resolve(values.params ?? join(bicepDir, 'params', `${values.geography}.bicepparam`));
const shell = process.platform === 'win32';

function onPath(cmd: string, args: string[]): boolean {
  const r = spawnSync(cmd, args, { stdio: 'ignore', shell });
  return !r.error && r.status === 0;
}

function run(label: string, cmd: string, args: string[]): boolean {
  console.log(`\n$ ${cmd} ${args.join(' ')}`);
  const r = spawnSync(cmd, args, { stdio: ['ignore', 'inherit', 'inherit'], shell });
  const ok = !r.error && r.status === 0;
  console.log(ok ? `✔ ${label}` : `✖ ${label} failed (exit ${r.status ?? r.error?.message})`);
  return ok;
}

/** Primary region of the geography, read from the catalogue (the deployment metadata location). */
async function primaryRegion(geography: string): Promise<string | undefined> {
  const { workspace } = await loadWorkspace(bicepDir);
  const catalogue = workspace.models.find((m) => m.file.relPath === 'geographies.bicep');
  const entry = catalogue?.vars.find((x) => x.name === geography);
  const value = literal(properties(entry?.value).get('primaryRegion'));
  return typeof value === 'string' ? value : undefined;
}

let failed = false;

// 1. Syntax and policy (always).
console.log('Bicep syntax (tree-sitter-bicep) and policy rules (infra/policy)');
const result = await checkDirectory(bicepDir);
console.log(`  ${result.files.length} files parsed`);
for (const p of result.syntax) console.error(`  ✖ ${p.file}:${p.line}:${p.column} ${p.kind} ${p.message}`);
for (const v of result.violations) console.error(`  ✖ ${formatViolation(v)}`);
if (result.syntax.length || result.violations.length) {
  failed = true;
  console.error(`✖ ${result.syntax.length} syntax problem(s), ${result.violations.length} policy violation(s)`);
} else {
  console.log('✔ no syntax problems, no policy violations');
}

// 2. Compile with the Bicep CLI where available.
const hasBicep = onPath('bicep', ['--version']);
const hasAz = onPath('az', ['version']);
if (!existsSync(paramFile)) {
  console.error(`✖ parameter file not found: ${relative(process.cwd(), paramFile)}`);
  failed = true;
} else if (hasBicep) {
  failed = !run('bicep build', 'bicep', ['build', mainBicep, '--stdout']) || failed;
  failed = !run('bicep build-params', 'bicep', ['build-params', paramFile, '--stdout']) || failed;
} else if (hasAz) {
  failed = !run('az bicep build', 'az', ['bicep', 'build', '--file', mainBicep, '--stdout']) || failed;
  failed = !run('az bicep build-params', 'az', ['bicep', 'build-params', '--file', paramFile, '--stdout']) || failed;
} else {
  console.log('\n⚠ Neither `bicep` nor `az` is on PATH: skipped `bicep build` and `az deployment sub what-if`.');
  console.log('  Only the tree-sitter syntax check and the policy rules ran. Run this again where the Bicep CLI is installed.');
}

// 3. What-if against the subscription.
if (hasAz && !values['skip-what-if'] && existsSync(paramFile)) {
  if (!onPath('az', ['account', 'show', '--output', 'none'])) {
    console.log('\n⚠ `az` is not logged in (az login): skipped `az deployment sub what-if`.');
  } else {
    const geography = values.params ? undefined : values.geography;
    const location = values.location ?? (geography ? await primaryRegion(geography) : undefined);
    if (!location) {
      console.error('✖ what-if needs --location <region> when --params is given');
      failed = true;
    } else {
      failed =
        !run('az deployment sub what-if', 'az', [
          'deployment', 'sub', 'what-if',
          '--name', `bystander-${geography ?? 'custom'}-whatif`,
          '--location', location,
          '--template-file', mainBicep,
          '--parameters', paramFile,
        ]) || failed;
    }
  }
}

process.exitCode = failed ? 1 : 0;
