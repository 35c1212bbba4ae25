import { mkdir, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Logger } from '../../ports/index.js';
import type { Notification, Notifier } from '../../ports/notifier.js';
import { renderMessage } from './message.js';

const safe = (s: string) => s.replace(/[^\w-]/g, '_').slice(0, 64);

/**
 * Local stand-in for e-mail: each notification becomes a JSON file under
 * `{dataDir}/outbox/{tenantId}/{shareId}/` (readable by its owner only) and one log line naming the
 * file. The file holds the message as it would be sent (the link included, as an e-mail would); the
 * log line never does.
 */
export class OutboxNotifier implements Notifier {
  constructor(
    readonly dir: string,
    private readonly logger: Logger,
    private readonly now: () => Date = () => new Date(),
  ) {}

  folderFor(tenantId: string, shareId: string): string {
    return join(this.dir, safe(tenantId), safe(shareId));
  }

  async send(n: Notification): Promise<void> {
    const folder = this.folderFor(n.tenantId, n.shareId);
    await mkdir(folder, { recursive: true, mode: 0o700 });
    const at = this.now().toISOString();
    const file = join(folder, `${at.replace(/[:.]/g, '-')}-${n.kind}-${Math.random().toString(36).slice(2, 8)}.json`);
    const { subject, text } = renderMessage(n);
    const body =
      n.kind === 'share-link'
        ? { kind: n.kind, at, to: n.to, subject, text, link: n.link, expiresAt: n.expiresAt, incidentRef: n.incidentRef, shareId: n.shareId }
        : { kind: n.kind, at, to: n.to, subject, text, reason: n.reason, incidentRef: n.incidentRef, shareId: n.shareId };
    await writeFile(file, `${JSON.stringify(body, null, 2)}\n`, { mode: 0o600 });
    this.logger.info('notification written to the local outbox', { kind: n.kind, shareId: n.shareId, file });
  }

  async forget(tenantId: string, shareId: string): Promise<number> {
    const folder = this.folderFor(tenantId, shareId);
    const count = (await readdir(folder).catch(() => [])).length;
    await rm(folder, { recursive: true, force: true });
    return count;
  }
}

/**
 * Reads the newest share-link message of a share from a local outbox (demo and tests); searches
 * every tenant folder when no tenant is given.
 */
export async function readOutboxLink(dir: string, shareId: string, tenantId?: string): Promise<string | undefined> {
  const tenants = tenantId ? [safe(tenantId)] : await readdir(dir).catch(() => [] as string[]);
  for (const t of tenants) {
    const folder = join(dir, t, safe(shareId));
    const files = (await readdir(folder).catch(() => [] as string[])).filter((f) => f.includes('-share-link-')).sort();
    const last = files.at(-1);
    if (last) return (JSON.parse(await readFile(join(folder, last), 'utf8')) as { link: string }).link;
  }
  return undefined;
}
