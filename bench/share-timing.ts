/**
 * Share-link timing oracle benchmark (issue 14, item 1): latency of the police page and media route
 * for links that never existed (unknown, malformed) and links that did (revoked, expired), over
 * loopback against a real Azurite + Cosmos DB emulator started here.
 *
 *   npx tsx bench/share-timing.ts [--rounds 200]
 *
 * Requests are interleaved round-robin across the classes (drift hits all classes alike), each from
 * its own loopback address (127.x.y.z) so no client exhausts its invalid-attempt budget. Prints
 * median, p10 and p90 per class and P(unknown faster than class): 0.5 = indistinguishable.
 */
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalServices } from '../local/services.js';
import { newShareToken } from '../shared/domain/share.js';
import { loopbackClient, median, probabilityFaster, quantile, startShareHttp, timedGet } from '../test/shares/http-fixture.js';

const arg = (name: string, fallback: number) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};
const ROUNDS = arg('rounds', 200);
const WARMUP = 20;

async function main() {
  const dataDir = await mkdtemp(join(tmpdir(), 'bystander-bench-timing-'));
  const services = await startLocalServices({ dataDir });
  const h = await startShareHttp(services, 'bench-timing');
  try {
    const { incidentId, evidenceId } = await h.publishedIncident();
    const revoked = await h.share(incidentId, [evidenceId]);
    const expired = await h.share(incidentId, [evidenceId], { expiresInHours: 1 });
    if ((await h.api('DELETE', `shares/${revoked.shareId}`)).status !== 200) throw new Error('revoke failed');
    h.clock.offsetMs = 2 * 3600_000;
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
    const samples = new Map<string, number[]>(Object.keys(classes).map((k) => [k, []]));
    let n = 0;
    for (let round = 0; round < WARMUP + ROUNDS; round++) {
      const order = Object.keys(classes).sort(() => Math.random() - 0.5);
      for (const name of order) {
        const address = loopbackClient(n++);
        const r = await timedGet(`${h.url}${classes[name]!()}`, address, { 'x-forwarded-for': address });
        if (r.status !== 404) throw new Error(`${name}: status ${r.status}`);
        if (round >= WARMUP) samples.get(name)!.push(r.ms);
      }
      if (round % 20 === 0) process.stderr.write(`\rround ${round + 1}/${WARMUP + ROUNDS}`);
    }
    process.stderr.write('\n');
    const rows = [...samples].map(([name, xs]) => {
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
    console.table(rows);
    console.log(JSON.stringify(rows));
  } finally {
    await h.stop();
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
