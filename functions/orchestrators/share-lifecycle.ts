import * as df from 'durable-functions';
import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import { SHARE_REVOKED_EVENT, type IssueLinkResult, type ShareLifecycleInput, type ShareRef } from '../../shared/usecases/shares.js';
import { SHARE_ACTIVITIES } from '../activities/share-activities.js';

export type ShareLifecycleOutput = { status: 'expired' | 'revoked' | 'failed' | 'not-sent'; shareId: string; reason?: string };

export type ShareLifecycleStatus = {
  stage: 'notifying' | 'active' | 'expiring' | 'expired' | 'revoked' | 'failed' | 'not-sent';
  expiresAt?: string;
  nextWakeAt?: string;
};

/** Link delivery is retried with backoff (30 s, 60 s, 120 s, 240 s, 480 s) before the share fails. */
export const notifyRetry = new df.RetryOptions(30_000, 6);
notifyRetry.backoffCoefficient = 2;
const stepRetry = new df.RetryOptions(5_000, 4);
stepRetry.backoffCoefficient = 2;

const DAY_MS = 24 * 3600_000;

/**
 * shareLifecycle: issue and send the link (with retries) ▸ wait until the share expires — durable
 * timers chained in steps of at most `maxTimerDays` (≤ 6) days — or until the revocation event ▸
 * mark it expired ▸ tell the sharer. Input and history carry ids and times only: the token is made
 * and sent inside the activity and never returned. Deterministic: time only from currentUtcDateTime.
 */
export const shareLifecycleOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<ShareLifecycleInput>();
  const ref: ShareRef = { tenantId: input.tenantId, incidentId: input.incidentId, shareId: input.shareId };
  const status = (s: ShareLifecycleStatus) => context.df.setCustomStatus(s);
  const done = (s: ShareLifecycleOutput['status'], reason?: string): ShareLifecycleOutput => ({ status: s, shareId: ref.shareId, ...(reason ? { reason } : {}) });

  function* tellSharer(reason: 'expired' | 'notification-failed'): Generator<Task, void, unknown> {
    try {
      yield context.df.callActivityWithRetry(SHARE_ACTIVITIES.notifySharer, notifyRetry, { ref, reason });
    } catch {
      // The share has already ended; a sharer we cannot reach is logged by the activity attempts.
    }
  }

  status({ stage: 'notifying', expiresAt: input.expiresAt });
  let sent: IssueLinkResult;
  try {
    sent = (yield context.df.callActivityWithRetry(SHARE_ACTIVITIES.issueShareLink, notifyRetry, ref)) as IssueLinkResult;
  } catch {
    status({ stage: 'failed' });
    yield context.df.callActivityWithRetry(SHARE_ACTIVITIES.failShare, stepRetry, ref);
    yield* tellSharer('notification-failed');
    return done('failed', 'notification-failed');
  }
  if (!sent.sent) {
    status({ stage: 'not-sent' });
    return done('not-sent', sent.reason);
  }

  const expiresAt = Date.parse(input.expiresAt);
  const maxStep = Math.min(Math.max(input.maxTimerDays, 1), 6) * DAY_MS;
  // One event task for the whole wait: an event raised while any timer runs completes it.
  const revoked = context.df.waitForExternalEvent(SHARE_REVOKED_EVENT);
  while (context.df.currentUtcDateTime.getTime() < expiresAt) {
    const wakeAt = new Date(Math.min(expiresAt, context.df.currentUtcDateTime.getTime() + maxStep));
    status({ stage: 'active', expiresAt: input.expiresAt, nextWakeAt: wakeAt.toISOString() });
    const timer = context.df.createTimer(wakeAt);
    const winner = yield context.df.Task.any([timer, revoked]);
    if (winner === revoked) {
      if (!timer.isCompleted) timer.cancel();
      status({ stage: 'revoked' });
      return done('revoked');
    }
  }

  status({ stage: 'expiring', expiresAt: input.expiresAt });
  yield context.df.callActivityWithRetry(SHARE_ACTIVITIES.expireShare, stepRetry, ref);
  yield* tellSharer('expired');
  status({ stage: 'expired', expiresAt: input.expiresAt });
  return done('expired');
};
