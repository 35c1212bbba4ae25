import type { ReviewMode } from '../domain/incident.js';

/** A tenant's review rule as the pipeline applies it (fixed in each orchestration's input). */
export interface ReviewRule {
  review: ReviewMode;
  deadlineHours: number;
}

/** Port: the review rule of a tenant (its setting, else the stamp's default). */
export type ReadReviewRule = (tenantId: string) => Promise<ReviewRule>;
