import type { Deps } from '../../shared/usecases/deps.js';
import { expireShare, failShare, issueShareLink, notifySharer, type ShareRef } from '../../shared/usecases/shares.js';

/** Activity names of the shareLifecycle orchestration. */
export const SHARE_ACTIVITIES = {
  issueShareLink: 'issueShareLink',
  expireShare: 'expireShare',
  failShare: 'failShare',
  notifySharer: 'notifySharer',
} as const;

type Activity = (input: unknown) => Promise<unknown>;

/** Thin activities over the share use cases (ids in, ids and outcomes out; never the token). */
export function shareActivityHandlers(deps: () => Promise<Deps>): Record<string, Activity> {
  return {
    [SHARE_ACTIVITIES.issueShareLink]: async (ref) => issueShareLink(await deps(), ref as ShareRef),
    [SHARE_ACTIVITIES.expireShare]: async (ref) => expireShare(await deps(), ref as ShareRef),
    [SHARE_ACTIVITIES.failShare]: async (ref) => failShare(await deps(), ref as ShareRef),
    [SHARE_ACTIVITIES.notifySharer]: async (input) => notifySharer(await deps(), input as { ref: ShareRef; reason: 'expired' | 'notification-failed' }),
  };
}
