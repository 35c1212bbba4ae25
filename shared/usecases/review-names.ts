/** The review's orchestration event (a leaf module: the deletion use cases withdraw reviews by it). */
export const REVIEW_EVENT = 'ReviewDecision';

/**
 * What a reviewer's action (or the incident's deletion) tells processEvidence: ids, a version or a
 * code only — the edits themselves stay in the record. `withdrawn`: the incident was deleted (its
 * retention ended, or erasure) while the item waited; the orchestration ends without touching it.
 */
export type ReviewDecisionEvent =
  | { kind: 'edits'; version: number }
  | { kind: 'approve'; version: number }
  | { kind: 'reject'; reason: string }
  | { kind: 'withdrawn' };
