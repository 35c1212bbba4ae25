import type { HttpResponseInit } from '@azure/functions';
import type { z } from 'zod';

/** RFC 7807 problem details. `type` URIs are stable identifiers documented in the README. */
export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  [extension: string]: unknown;
}

export class ProblemError extends Error {
  override name = 'ProblemError';
  constructor(readonly problem: Problem) {
    super(problem.detail ?? problem.title);
  }
}

const BASE = 'https://bystander.dev/problems/';

export const problems = {
  validation(error: z.ZodError): Problem {
    const unknownFields = error.issues
      .filter((i) => i.code === 'unrecognized_keys')
      .flatMap((i) => (i as { keys: string[] }).keys.map((k) => [...i.path, k].join('.')));
    return {
      type: `${BASE}validation`,
      title: unknownFields.length ? 'Unknown fields are not accepted' : 'The request is not valid',
      status: 400,
      detail: unknownFields.length
        ? `Bystander stores only the fields it needs; remove: ${unknownFields.join(', ')}`
        : error.issues.map((i) => `${i.path.join('.') || '(body)'}: ${i.message}`).join('; '),
      unknownFields,
      errors: error.issues.map((i) => ({ path: i.path.join('.'), message: i.message })),
    };
  },
  screened(field: string, phrase: string): Problem {
    return {
      type: `${BASE}screened-content`,
      title: 'The text contains special-category data or derogatory language',
      status: 422,
      detail: `"${field}" contains "${phrase}", which Bystander does not record (community guidelines)`,
      field,
      phrase,
    };
  },
  /** The incident's lawful retention had already ended when it was declared: nothing may be stored. */
  retentionEnded(rule: { category: string; outcome: string; days: number }, occurredAt: string, endedAt: string): Problem {
    return {
      type: `${BASE}retention-ended`,
      title: 'The retention period for this incident has already ended',
      status: 422,
      detail:
        `An incident of category "${rule.category}" with outcome "${rule.outcome}" is kept ${rule.days} days from occurredAt ` +
        `(${occurredAt}); that period ended on ${endedAt}, so Bystander may not store it. Nothing was stored. ` +
        'If it was reported to police or prosecuted, declare its "outcome" (kept longer); the tenant retention policy sets the days.',
      retention: { ...rule, occurredAt, endedAt },
    };
  },
  badRequest(detail: string): Problem {
    return { type: `${BASE}bad-request`, title: 'Bad request', status: 400, detail };
  },
  tooLarge(detail: string): Problem {
    return { type: `${BASE}too-large`, title: 'Payload too large', status: 413, detail };
  },
  unauthorized(detail: string): Problem {
    return { type: `${BASE}unauthorized`, title: 'Unauthorized', status: 401, detail };
  },
  forbidden(detail: string): Problem {
    return { type: `${BASE}forbidden`, title: 'Forbidden', status: 403, detail };
  },
  notFound(what: string): Problem {
    return { type: `${BASE}not-found`, title: 'Not found', status: 404, detail: `${what} was not found` };
  },
  conflict(detail: string): Problem {
    return { type: `${BASE}conflict`, title: 'Conflict', status: 409, detail };
  },
  unavailable(detail: string): Problem {
    return { type: `${BASE}unavailable`, title: 'Service unavailable', status: 503, detail };
  },
  internal(): Problem {
    return { type: `${BASE}internal`, title: 'Internal error', status: 500, detail: 'An unexpected error occurred; it has been logged.' };
  },
};

export function problemResponse(problem: Problem, headers: Record<string, string> = {}): HttpResponseInit {
  return {
    status: problem.status,
    headers: { 'content-type': 'application/problem+json', 'cache-control': 'no-store', ...headers },
    jsonBody: problem,
  };
}
