/** Activity names, shared by the registrations, the orchestrators and the local runtime. */
export const ACTIVITIES = {
  inspectEvidence: 'inspectEvidence',
  dispatchRedaction: 'dispatchRedaction',
  recordRedaction: 'recordRedaction',
  discardOriginal: 'discardOriginal',
  publishEvidence: 'publishEvidence',
  quarantineEvidence: 'quarantineEvidence',
  enterReview: 'enterReview',
  recordReviewRender: 'recordReviewRender',
  reviewDeadlinePassed: 'reviewDeadlinePassed',
} as const;
