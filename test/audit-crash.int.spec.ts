import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CosmosClient } from '@azure/cosmos';
import { processTree } from './listening-sockets.js';
import { incidentBody } from './helpers.js';

/**
 * Issue 14 item 3 with a real crash: `npm start` in a fresh folder, accesses audited and answered,
 * then kill -9 of the stack (its emulators exit by themselves: the Cosmos emulator's memory is gone,
 * and its last snapshot is up to 15 s old). After a restart every answered access is still in the
 * chain and no sequence number is reused; `bystander audit verify` checks the chain against the
 * checkpoints, and reports a chain that lost its tail and went on from there.
 */
const root = join(import.meta.dirname, '..');
const tsx = import.meta.resolve('tsx');
const cleanEnv = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(BYSTANDER_|COSMOS|STORAGE|AUTH|KEYVAULT|AUDIT_)/.test(k)));
const TENANT = 'dev-tenant';

interface Running {
  child: ChildProcess;
  api: string;
  tree: number[];
  output: () => string;
}
const started: Running[] = [];

async function npmStart(cwd: string): Promise<Running> {
  let output = '';
  const child = spawn(process.execPath, ['--import', tsx, join(root, 'local/start.ts')], {
    cwd,
    env: { ...cleanEnv, PORT: '0' },
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout!.on('data', (b: Buffer) => (output += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (output += b.toString()));
  const deadline = Date.now() + 180_000;
  while (!output.includes('Press Ctrl+C') && Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`npm start exited early:\n${output}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  const api = /API\s+(http:\/\/\S+\/api)/.exec(output)?.[1] ?? '';
  if (!api) throw new Error(`npm start did not come up:\n${output}`);
  const running = { child, api, tree: processTree(child.pid!), output: () => output };
  started.push(running);
  return running;
}

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

async function gone(pids: number[], timeoutMs = 20_000) {
  const deadline = Date.now() + timeoutMs;
  while (pids.some(alive) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
  expect(pids.filter(alive)).toEqual([]);
}

async function stop(r: Running) {
  const exited = new Promise((res) => (r.child.exitCode !== null ? res(null) : r.child.once('exit', res)));
  process.kill(-r.child.pid!, 'SIGINT');
  await exited;
  await gone(r.tree);
}

afterAll(async () => {
  for (const r of started) for (const pid of r.tree) if (alive(pid)) process.kill(pid, 'SIGKILL');
});

async function auditEvents(cwd: string) {
  const { settings } = JSON.parse(await readFile(join(cwd, '.bystander', 'local-settings.json'), 'utf8')) as { settings: Record<string, string> };
  const cosmos = new CosmosClient({ endpoint: settings.COSMOS__accountEndpoint!, key: settings.COSMOS_KEY!, connectionPolicy: { enableEndpointDiscovery: false } });
  const { resources } = await cosmos
    .database(settings.COSMOS_DATABASE ?? 'bystander')
    .container('audit')
    .items.query<{ seq: number; hash: string; action: string; target: { incidentId?: string } }>({ query: 'SELECT * FROM c WHERE c.tenantId = @t', parameters: [{ name: '@t', value: TENANT }] })
    .fetchAll();
  return resources.sort((a, b) => a.seq - b.seq);
}

const cli = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [join(root, 'bin/bystander.mjs'), ...args], { cwd, env: cleanEnv, encoding: 'utf8', timeout: 120_000 });

describe('audit trail through a kill -9 of the local stack', () => {
  it('keeps every answered access, reuses no sequence number, and verify catches a lost tail against the checkpoints', async () => {
    const cwd = await mkdtemp(join(tmpdir(), 'bystander-audit-crash-'));
    const first = await npmStart(cwd);
    const { admin } = JSON.parse(await readFile(join(cwd, '.bystander', 'dev-tokens.json'), 'utf8')) as { admin: string };
    const auth = { authorization: `Bearer ${admin}` };
    const occurredAt = new Date(Date.now() - 3600_000).toISOString().replace(/\.\d{3}Z$/, 'Z');
    const created = await fetch(`${first.api}/incidents`, {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json' },
      body: JSON.stringify(incidentBody([{ fileName: 'cam1.mp4', contentType: 'video/mp4', sizeBytes: 1000 }], { occurredAt })),
    });
    expect(created.status).toBe(201);
    const incidentId = ((await created.json()) as { incident: { id: string } }).incident.id;
    // The record reaches the emulator's periodic snapshot (as an hours-old incident would have); the reads below do not.
    const snapshotFile = join(cwd, '.bystander', 'cosmos-snapshot.json');
    const deadline = Date.now() + 30_000;
    while (!(await readFile(snapshotFile, 'utf8').catch(() => '')).includes(incidentId) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250));
    // Three reads answered (each audited before its body was sent), then the crash at once.
    for (let i = 0; i < 3; i++) expect((await fetch(`${first.api}/incidents/${incidentId}`, { headers: auth })).status).toBe(200);
    process.kill(first.child.pid!, 'SIGKILL');
    await gone(first.tree); // the emulators follow their stack (child guard): the in-memory records are gone

    const second = await npmStart(cwd);
    const restored = await auditEvents(cwd);
    expect(restored.map((e) => e.seq)).toEqual(restored.map((_, i) => i + 1));
    expect(restored.filter((e) => e.action === 'incident.read' && e.target.incidentId === incidentId)).toHaveLength(3);
    expect((await fetch(`${second.api}/incidents/${incidentId}`, { headers: auth })).status).toBe(200);
    const after = await auditEvents(cwd);
    expect(after.at(-1)).toMatchObject({ seq: restored.length + 1, action: 'incident.read' }); // the next seq, not a reused one
    const ok = cli(cwd, 'audit', 'verify');
    expect(ok.stdout).toMatch(new RegExp(`^ok +${TENANT}: ${after.length} events, head seq ${after.length} .*, last checkpoint seq \\d+`, 'm'));
    expect(ok.status).toBe(0);
    await stop(second); // the last checkpoint is written on the way down

    // Someone (or a crash without the journal) removes the newest two events everywhere the chain lives.
    const cut = after.length - 2;
    const journal = join(cwd, '.bystander', 'audit', 'journal.ndjson');
    const lines = (await readFile(journal, 'utf8')).split('\n').filter(Boolean);
    await writeFile(journal, `${lines.filter((l) => (JSON.parse(l) as { seq: number }).seq <= cut).join('\n')}\n`);
    const snapshot = JSON.parse(await readFile(snapshotFile, 'utf8')) as Record<string, Array<{ tenantId: string; seq?: number }>>;
    snapshot.audit = snapshot.audit!.filter((e) => e.tenantId !== TENANT || (e.seq ?? 0) <= cut);
    await writeFile(snapshotFile, JSON.stringify(snapshot));

    const third = await npmStart(cwd);
    // The chain goes on from the cut: two new events take the removed sequence numbers, validly linked.
    for (let i = 0; i < 2; i++) expect((await fetch(`${third.api}/incidents/${incidentId}`, { headers: auth })).status).toBe(200);
    expect((await auditEvents(cwd)).length).toBe(after.length);
    const broken = cli(cwd, 'audit', 'verify');
    expect(broken.stdout).toMatch(new RegExp(`^BROKEN +${TENANT}: first broken link at seq \\d+ — forks from the checkpoint at seq \\d+`, 'm'));
    expect(broken.status).toBe(1);
    expect(third.output()).toMatch(/audit-chain-truncated/); // the checkpointer alerted at start instead of moving the anchor back
    await stop(third);
  });
});
