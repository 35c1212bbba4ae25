import type { OrchestrationContext, OrchestrationHandler, Task } from 'durable-functions';
import type { ErasureCheck, PrivacyRequestInput } from '../../shared/usecases/privacy.js';
import { LIFECYCLE_ACTIVITIES as A } from '../activities/lifecycle-activities.js';
import { deletionSteps } from './delete-incident.js';
import { lifecycleRetry } from './retention-schedule.js';

const DAY_MS = 24 * 3600_000;
const MAX_STEP_MS = 6 * DAY_MS;

export type PrivacyRequestStatus = {
  stage: 'exporting' | 'available' | 'expired' | 'checking' | 'erasing' | 'completed' | 'failed';
  done?: number;
  total?: number;
  erased?: number;
  refused?: number;
  expiresAt?: string;
};

/**
 * privacyRequest (instance `privacy-{tenant}-{request}`), custom status = progress (counts only).
 * access: build the bundle ▸ keep it downloadable until it expires (timers ≤ 6 days) ▸ delete it.
 * erasure: split held / erasable (refusals audited with the reason) ▸ run the deletion steps for each
 * erasable incident ▸ record the outcome. Its own history is queued for purging at the end.
 */
export const privacyRequestOrchestrator: OrchestrationHandler = function* (context: OrchestrationContext) {
  const input = context.df.getInput<PrivacyRequestInput>();
  const status = (s: PrivacyRequestStatus) => context.df.setCustomStatus(s);
  const call = (name: string, arg: unknown): Task => context.df.callActivityWithRetry(name, lifecycleRetry, arg);
  let result: { status: string; erased?: number; refused?: number } = { status: 'completed' };
  try {
    if (input.type === 'access') {
      status({ stage: 'exporting' });
      const built = (yield call(A.buildExport, input)) as { status: string; expiresAt?: string };
      if (built.expiresAt) {
        const expiresAt = Date.parse(built.expiresAt);
        status({ stage: 'available', expiresAt: built.expiresAt });
        while (context.df.currentUtcDateTime.getTime() < expiresAt) {
          yield context.df.createTimer(new Date(Math.min(expiresAt, context.df.currentUtcDateTime.getTime() + MAX_STEP_MS)));
        }
        yield call(A.expireExport, input);
        status({ stage: 'expired' });
        result = { status: 'expired' };
      }
    } else {
      status({ stage: 'checking' });
      const check = (yield call(A.checkErasure, input)) as ErasureCheck;
      const erased: string[] = [];
      const refused = [...check.refused];
      for (const [i, incidentId] of check.erasable.entries()) {
        status({ stage: 'erasing', done: i, total: check.erasable.length });
        const outcome = yield* deletionSteps(context, { tenantId: input.tenantId, incidentId, cause: 'erasure', requestId: input.requestId });
        if (outcome.status === 'deleted') erased.push(incidentId);
        else refused.push({ incidentId, reason: 'legal-hold' });
      }
      yield call(A.completeErasure, { ...input, erased, refused });
      status({ stage: 'completed', erased: erased.length, refused: refused.length });
      result = { status: 'completed', erased: erased.length, refused: refused.length };
    }
  } catch {
    status({ stage: 'failed' });
    yield call(A.failRequest, input);
    result = { status: 'failed' };
  }
  yield call(A.schedulePurge, { instanceIds: [context.df.instanceId] });
  return result;
};
