import { z } from 'zod';
import { ReviewModeSchema } from './incident.js';

/**
 * A tenant's settings (Cosmos container `tenant-settings`, one document per tenant, id `settings`).
 * Only what the tenant's admins choose; everything else is the stamp's configuration.
 */
export const TENANT_SETTINGS_ID = 'settings';

export const TenantSettingsRecordSchema = z
  .object({
    id: z.literal(TENANT_SETTINGS_ID),
    tenantId: z.string().min(1).max(64),
    review: ReviewModeSchema,
    updatedAt: z.string(),
    /** Opaque subject id of the admin who last changed them. */
    updatedBy: z.string().max(128),
  })
  .strict();
export type TenantSettingsRecord = z.infer<typeof TenantSettingsRecordSchema>;

/** PUT /api/settings: the settings a tenant admin may change (unknown fields rejected). */
export const UpdateTenantSettingsSchema = z.object({ review: ReviewModeSchema }).strict();
