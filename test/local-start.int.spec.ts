import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { isLoopback, listeners, processTree } from './listening-sockets.js';
import { incidentBody } from './helpers.js';

/**
 * `npm start` as a developer runs it: its own Azurite and Cosmos emulator, in a fresh folder, with no
 * settings in the environment, stopped with Ctrl+C (SIGINT to the whole foreground process group).
 */
const root = join(import.meta.dirname, '..');
const tsx = import.meta.resolve('tsx');
// Nothing of the test run's own settings leaks into the processes under test.
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(BYSTANDER_|COSMOS|STORAGE|AUTH|KEYVAULT|AUDIT_)/.test(k)));

let cwd: string;
let stack: ChildProcess;
let output = '';
let apiUrl = '';
let exited: Promise<number | null>;
let tree: number[] = [];

beforeAll(async () => {
  cwd = await mkdtemp(join(tmpdir(), 'bystander-npm-start-'));
  stack = spawn(process.execPath, ['--import', tsx, join(root, 'local/start.ts')], {
    cwd,
    env: { ...cleanEnv, PORT: '0' },
    detached: true, // its own process group, like a terminal's foreground job
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  exited = new Promise((r) => stack.once('exit', (code) => r(code)));
  stack.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  stack.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const deadline = Date.now() + 180_000;
  while (!output.includes('Press Ctrl+C') && Date.now() < deadline) {
    if (stack.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  apiUrl = /API\s+(http:\/\/\S+\/api)/.exec(output)?.[1] ?? '';
  if (!apiUrl) throw new Error(`npm start did not come up:\n${output}`);
  tree = processTree(stack.pid!);
});

afterAll(async () => {
  if (stack?.exitCode === null) {
    for (const pid of tree) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // gone
      }
    }
  }
});

function cli(...args: string[]) {
  return spawnSync(process.execPath, [join(root, 'bin/bystander.mjs'), ...args], { cwd, env: cleanEnv, encoding: 'utf8', timeout: 120_000 });
}

describe('npm start', () => {
  it('listens on loopback only: the HTTP API, Azurite (blob, queue, table) and the Cosmos emulator', () => {
    const found = listeners(tree);
    // HTTP + Azurite blob/queue/table + Cosmos at least.
    expect(found.length).toBeGreaterThanOrEqual(5);
    expect(found.filter((l) => !isLoopback(l.address))).toEqual([]);
  });

  it('prints the console address; the page is served and offers the development sign-in', async () => {
    const consoleUrl = /Console\s+(http:\/\/\S+\/console\/)/.exec(output)?.[1];
    expect(consoleUrl, output).toBeDefined();
    const page = await fetch(consoleUrl!);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('src="/console/main.js"');
    expect((await fetch(new URL('main.js', consoleUrl))).status).toBe(200); // compiled by npm start
    expect(await (await fetch(new URL('/api/console/sign-in', consoleUrl))).json()).toMatchObject({ signIn: 'development', tenantId: 'dev-tenant' });
    const signIn = await fetch(new URL('/api/dev/sign-in', consoleUrl), { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ roles: ['investigator'] }) });
    expect(signIn.status).toBe(200);
    const { accessToken } = (await signIn.json()) as { accessToken: string };
    expect((await fetch(`${apiUrl}/incidents`, { headers: { authorization: `Bearer ${accessToken}` } })).status).toBe(200);
  });

  it('serves `npx bystander audit verify` and `keys rewrap` with no extra settings, then saves the records on Ctrl+C before stopping the emulators', async () => {
    const tokens = JSON.parse(await readFile(join(cwd, '.bystander', 'dev-tokens.json'), 'utf8')) as { admin: string };
    const created = await fetch(`${apiUrl}/incidents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${tokens.admin}`, 'content-type': 'application/json' },
      body: JSON.stringify(incidentBody([{ fileName: 'a.mp4', contentType: 'video/mp4', sizeBytes: 10 }])),
    });
    expect(created.status).toBe(201);
    const incidentId = ((await created.json()) as { incident: { id: string } }).incident.id;

    const verify = cli('audit', 'verify');
    expect(verify.stderr).toBe('');
    expect(verify.status).toBe(0);
    expect(verify.stdout).toMatch(/^ok\s+dev-tenant: \d+ events/m);
    const rewrap = cli('keys', 'rewrap');
    expect(rewrap.stderr).toBe('');
    expect(rewrap.status).toBe(0);
    expect(rewrap.stdout).toMatch(/examined 1, re-wrapped 0, already current 1, failed 0/);

    process.kill(-stack.pid!, 'SIGINT');
    expect(await exited).toBe(0);
    expect(output).not.toMatch(/could not save|ECONNREFUSED/);
    const snapshot = await readFile(join(cwd, '.bystander', 'cosmos-snapshot.json'), 'utf8');
    expect(snapshot).toContain(incidentId);
    // The emulators are gone too, and the CLI no longer finds a running stack.
    await new Promise((r) => setTimeout(r, 500));
    expect(processTree(stack.pid!).length).toBe(1);
    expect(existsSync(join(cwd, '.bystander', 'local-settings.json'))).toBe(false);
  });
});
