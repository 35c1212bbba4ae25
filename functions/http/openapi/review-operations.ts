import type { OperationDoc } from './types.js';

/** What the OpenAPI document says about review before publishing and the tenant settings (issue 13). */
const params = { id: 'The incident id', evidenceId: 'The evidence id' };
const roles: OperationDoc['roles'] = ['investigator', 'admin'];
const AT = '2026-11-20T09:00:00.000Z';

export const reviewExample = {
  evidenceId: '0b7e6a54-8c3d-4f21-a9e0-5d6c7b8a9f10',
  status: 'awaiting-review',
  state: 'ready',
  reasons: ['subject-ambiguous'],
  since: AT,
  deadline: '2026-11-23T09:00:00.000Z',
  render: { version: 0, contentType: 'video/mp4', width: 640, height: 360, fps: 25, frames: 150, durationSeconds: 6 },
  tracks: [
    { id: 0, class: 'face', kept: false, firstFrame: 0, lastFrame: 149, boxes: [{ frame: 0, x: 94, y: 116, w: 72, h: 73 }] },
    { id: 1, class: 'face', kept: false, firstFrame: 0, lastFrame: 149, boxes: [{ frame: 0, x: 430, y: 120, w: 70, h: 70 }] },
  ],
  failedFrames: [],
  edits: null,
  history: [],
  previewUrl: '/api/incidents/6f1c2b9e-3d4a-4c55-9b1e-2f7a8c9d0e11/evidence/0b7e6a54-8c3d-4f21-a9e0-5d6c7b8a9f10/preview',
};

export const reviewOperations: Record<string, OperationDoc> = {
  getReview: {
    summary: 'The review of an evidence item: reasons, deadline, the current render’s tracks and the edit history',
    description:
      'Tracks carry their boxes at keyframes (about one a second) in the render’s pixels. `state`: `ready` (the reviewer may edit, approve or reject), ' +
      '`rendering` (an edit is being applied), `decided`. 409 `not-under-review` for an item that was never held for review. Audited (`review.read`).',
    tag: 'evidence',
    roles,
    params,
    responses: { 200: { description: 'The review', schema: 'Review', example: reviewExample } },
    problems: [404, 409, 503],
  },
  getReviewPreview: {
    summary: 'The current review render (redacted media; Range supported)',
    description: 'Only while the item awaits review; the original is never served. Audited (`evidence.read`, reason `review-preview`).',
    tag: 'evidence',
    roles,
    params,
    headers: { range: 'Optional single byte range (`bytes=a-b`)' },
    responses: {
      200: { description: 'The render', binary: ['video/mp4', 'image/jpeg', 'image/png', 'image/webp'], headers: { 'x-bystander-sha256': 'SHA-256 of the whole render' } },
      206: { description: 'A byte range of it', binary: ['video/mp4', 'image/jpeg', 'image/png', 'image/webp'], headers: { 'content-range': 'bytes a-b/size' } },
    },
    problems: [404, 416, 503],
  },
  reviewEdits: {
    summary: 'Apply a reviewer’s edits (the whole edit set) and re-render',
    description:
      'Keep a track as the subject, obscure a track, obscure a whole person, or draw boxes over a span of time (each follows the track it lies on). ' +
      '`baseVersion` is the edit version the reviewer started from (0 when none): a stale one is refused (409 `stale-version`), as is a request while a render runs ' +
      '(409 `render-in-progress`). Track ids must be in the current render (400). The item is rendered again from its sealed original and verified again; poll GET …/review until `state` is `ready`. Audited (`review.edit`).',
    tag: 'evidence',
    roles,
    params,
    request: { schema: 'ReviewEdits', example: { baseVersion: 0, keepTracks: [0], boxes: [{ atSeconds: 2, fromSeconds: 1, toSeconds: 4, box: { x: 400, y: 100, w: 90, h: 90 } }] } },
    responses: { 202: { description: 'Accepted: rendering', schema: 'ReviewAccepted', example: { version: 1, state: 'rendering' } } },
    problems: [400, 404, 409, 415, 503],
  },
  approveReview: {
    summary: 'Approve the render the reviewer saw: it is published and the original deleted',
    description: '`version` is the render version shown (GET …/review `render.version`); 409 when a newer render exists or one is rendering. Audited (`review.approve`).',
    tag: 'evidence',
    roles,
    params,
    request: { schema: 'ApproveReview', example: { version: 1 } },
    responses: { 202: { description: 'Accepted: publishing', schema: 'ReviewDecided', example: { status: 'publishing' } } },
    problems: [400, 404, 409, 415, 503],
  },
  rejectReview: {
    summary: 'Reject the redaction: the original is deleted and the item quarantined (`review-rejected`)',
    description: 'Audited (`review.reject`, with the reason code).',
    tag: 'evidence',
    roles,
    params,
    request: { schema: 'RejectReview', example: { reason: 'redaction-inadequate' } },
    responses: { 202: { description: 'Accepted: quarantined', schema: 'ReviewDecided', example: { status: 'quarantined' } } },
    problems: [400, 404, 409, 415, 503],
  },
  getSettings: {
    summary: 'The tenant’s settings: the review rule and the review deadline',
    description: '`review`: `always` (every item is reviewed before publishing), `when-needed` (default: only renders the engine is not sure of), `never` (unsure renders are quarantined).',
    tag: 'system',
    roles,
    responses: { 200: { description: 'The settings', schema: 'TenantSettings', example: { review: 'when-needed', reviewDeadlineHours: 72 } } },
    problems: [503],
  },
  putSettings: {
    summary: 'Change the tenant’s review rule (admins)',
    description: 'Applies to evidence uploaded from now on (an item keeps the rule it started with). Audited (`config.change`, setting `review`).',
    tag: 'system',
    roles: ['admin'],
    request: { schema: 'UpdateTenantSettings', example: { review: 'always' } },
    responses: { 200: { description: 'The settings', schema: 'TenantSettings', example: { review: 'always', reviewDeadlineHours: 72 } } },
    problems: [400, 415, 503],
  },
};
