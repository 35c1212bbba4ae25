/**
 * Share-link timing oracle benchmark (issue 14, item 1): latency of the police page and media route
 * for links that never existed (unknown, malformed) and links that did (revoked, expired), over
 * loopback against a real Azurite + Cosmos DB emulator started here.
 *
 *   npx tsx bench/share-timing.ts [--rounds 200] [--baseline <other checkout>]
 *
 * Requests are interleaved round-robin across the classes (drift hits all classes alike), each from
 * its own loopback address (127.x.y.z) so no client exhausts its invalid-attempt budget. Prints
 * median, p10 and p90 per class and P(unknown faster than class): 0.5 = indistinguishable.
 *
 * `--baseline DIR` serves a second copy of the app from another checkout (e.g. the commit before a
 * change: `git archive <rev> | tar -x -C DIR`, `ln -s $PWD/node_modules DIR/`, and copy
 * test/shares/http-fixture.ts there if it lacks it) against the same emulator, and interleaves its
 * requests with this checkout's: both are measured in the same run, under the same load.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServices } from '../local/services.js';
import { newShareToken } from '../shared/domain/share.js';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { loopbackClient, median, probabilityFaster, quantile, startShareHttp, timedGet, type ShareHttp, type ShareServices } from '../test/shares/http-fixture.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 200);
const baselineIndex = process.argv.indexOf('--baseline');
const BASELINE = baselineIndex > 0 ? resolve(process.argv[baselineIndex + 1] ?? '') : undefined;

/** One app with a revoked and an expired share; the request path of each class. */
async function target(start: typeof startShareHttp, services: ShareServices, database: string) {
  const h: ShareHttp = await start(services, database);
  const { incidentId, evidenceId } = await h.publishedIncident();
  const revoked = await h.share(incidentId, [evidenceId]);
  const expired = await h.share(incidentId, [evidenceId], { expiresInHours: 1 });
  if ((await h.api('DELETE', `shares/${revoked.shareId}`)).status !== 200) throw new Error('revoke failed');
  h.clock.advance(2 * 3600_000);
  await h.expire(incidentId, expired.shareId);
  const classes: Record<string, () => string> = {
    'page unknown': () => `/s/${newShareToken()}`,
    'page malformed': () => `/s/${newShareToken().slice(0, 40)}!x`,
    'page revoked': () => revoked.path,
    'page expired': () => expired.path,
    'media unknown': () => `/s/${newShareToken()}/media/${evidenceId}`,
    'media revoked': () => `${revoked.path}/media/${evidenceId}`,
    'media expired': () => `${expired.path}/media/${evidenceId}`,
  };
  return { h, classes };
}

function rows(samples: Map<string, number[]>) {
  return [...samples].map(([name, xs]) => {
    const base = samples.get(name.startsWith('page') ? 'page unknown' : 'media unknown')!;
    return {
      class: name,
      n: xs.length,
      medianMs: +median(xs).toFixed(2),
      p10Ms: +quantile(xs, 0.1).toFixed(2),
      p90Ms: +quantile(xs, 0.9).toFixed(2),
      pUnknownFaster: +probabilityFaster(base, xs).toFixed(3),
    };
  });
}
const WARMUP = 20;

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'bystander-bench-timing-'));
  const services = await startLocalServices({ dataDir });
  const targets: Record<string, Awaited<ReturnType<typeof target>>> = { current: await target(startShareHttp, services, 'bench-timing') };
  if (BASELINE) {
    const fixture = (await import(pathToFileURL(join(BASELINE, 'test/shares/http-fixture.ts')).href)) as { startShareHttp: typeof startShareHttp };
    targets.baseline = await target(fixture.startShareHttp, services, 'bench-timing-baseline');
  }
  try {
    const samples = new Map(Object.keys(targets).map((t) => [t, new Map(Object.keys(targets[t]!.classes).map((k) => [k, [] as number[]]))]));
    let n = 0;
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      const order = Object.keys(targets).flatMap((t) => Object.keys(targets[t]!.classes).map((c) => [t, c] as const)).sort(() => Math.random() - 0.5);
      for (const [t, name] of order) {
        const address = loopbackClient(n++);
        const r = await timedGet(`${targets[t]!.h.url}${targets[t]!.classes[name]!()}`, address, { 'x-forwarded-for': address });
        if (r.status !== 404) throw new Error(`${t} ${name}: status ${r.status}`);
        if (round >= WARMUP) samples.get(t)!.get(name)!.push(r.ms);
      }
      if (round % 20 === 0) process.stderr.write(`\rround ${round + 1}/${WARMUP + ROUNDS}`);
    }
    process.stderr.write('\n');
    const out = Object.fromEntries([...samples].map(([t, s]) => [t, rows(s)]));
    for (const [t, r] of Object.entries(out)) {
      console.log(t === 'baseline' ? `baseline (${BASELINE})` : 'this checkout');
      console.table(r);
    }
    console.log(JSON.stringify(out));
  } finally {
    for (const t of Object.values(targets)) await t.h.stop();
    await services.stop();
    await rm(dataDir, { recursive: true, force: true });
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
