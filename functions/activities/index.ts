import type { Deps } from '../../shared/usecases/deps.js';
import {
  discardOriginal,
  dispatchRedaction,
  inspectEvidence,
  publishEvidence,
  quarantineEvidence,
  recordRedaction,
  type EvidenceRef,
} from '../../shared/usecases/evidence.js';
import type { RedactionResult } from '../../shared/domain/redaction.js';
import { ACTIVITIES } from './names.js';

type Activity = (input: unknown) => Promise<unknown>;

/**
 * Thin activities: each one is a use case over the composed dependencies. Registered with
 * durable-functions in functions/index.ts and called directly by the local runtime.
 */
export function activityHandlers(deps: () => Promise<Deps>): Record<string, Activity> {
  return {
    [ACTIVITIES.inspectEvidence]: async (ref) => inspectEvidence(await deps(), ref as EvidenceRef),
    [ACTIVITIES.dispatchRedaction]: async (input) => dispatchRedaction(await deps(), input as { ref: EvidenceRef; attempt: number }),
    [ACTIVITIES.recordRedaction]: async (input) => recordRedaction(await deps(), input as { ref: EvidenceRef; result: RedactionResult }),
    [ACTIVITIES.discardOriginal]: async (ref) => discardOriginal(await deps(), ref as EvidenceRef),
    [ACTIVITIES.publishEvidence]: async (ref) => publishEvidence(await deps(), ref as EvidenceRef),
    [ACTIVITIES.quarantineEvidence]: async (input) => quarantineEvidence(await deps(), input as { ref: EvidenceRef; code: string; reason: string }),
  };
}
