/** Names and ids of the share orchestration (a leaf module: the retention use cases revoke shares by them). */
export const SHARE_LIFECYCLE = 'shareLifecycle';
export const SHARE_REVOKED_EVENT = 'ShareRevoked';
export const shareInstanceId = (shareId: string) => `share-${shareId}`;

/** Ids only: what the share orchestration and its activities carry. */
export interface ShareRef {
  tenantId: string;
  incidentId: string;
  shareId: string;
}
