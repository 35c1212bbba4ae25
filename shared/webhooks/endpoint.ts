import { BlockList, isIP } from 'node:net';
import { z } from 'zod';
import { WEBHOOK_EVENT_TYPES, WebhookEventTypeSchema } from './events.js';

/**
 * A retailer's webhook endpoint (Cosmos container `webhooks`, pk /tenantId). The signing secret is
 * never in the record: it lives in the secret store (Key Vault in Azure, the local key folder
 * locally) under {@link secretNameFor}.
 */

export const MAX_WEBHOOKS_PER_TENANT = 10;

export const CreateWebhookSchema = z.strictObject({
  /** Where events are POSTed. https only in Azure; never loopback, private or link-local addresses there. */
  url: z.url({ protocol: /^https?$/ }).max(2048),
  /** The event types to deliver (at least one, no repeats). */
  events: z
    .array(WebhookEventTypeSchema)
    .min(1)
    .max(WEBHOOK_EVENT_TYPES.length)
    .refine((e) => new Set(e).size === e.length, 'event types must be unique'),
});
export type CreateWebhookInput = z.infer<typeof CreateWebhookSchema>;

const id = z.string().regex(/^[\w-]{1,64}$/);

export const WebhookEndpointRecordSchema = z.strictObject({
  id,
  tenantId: id,
  url: z.string().max(2048),
  events: z.array(WebhookEventTypeSchema).min(1),
  createdAt: z.string(),
  /** Opaque subject id of the admin who registered it. */
  createdBy: z.string(),
});
export type WebhookEndpointRecord = z.infer<typeof WebhookEndpointRecordSchema>;

/** Key Vault secret names allow letters, digits and dashes. */
export const secretNameFor = (endpointId: string) => `webhook-${endpointId.replace(/[^A-Za-z0-9-]/g, '-')}`;

export function toWebhookView(e: WebhookEndpointRecord) {
  return { id: e.id, url: e.url, events: e.events, createdAt: e.createdAt };
}
export type WebhookView = ReturnType<typeof toWebhookView>;

// --- addresses ---

const internal = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15], ['198.51.100.0', 24], ['203.0.113.0', 24],
  ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) internal.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 128], ['::1', 128], ['::ffff:0:0', 96], ['64:ff9b::', 96], ['100::', 64], ['2001:db8::', 32], ['fc00::', 7], ['fe80::', 10], ['ff00::', 8],
] as const) internal.addSubnet(net, prefix, 'ipv6');

/** Loopback, private, link-local, carrier-grade NAT, documentation, multicast, mapped and reserved ranges. */
export function isInternalAddress(address: string): boolean {
  const kind = isIP(address);
  if (kind === 0) return true; // not an address: refuse
  return internal.check(address, kind === 4 ? 'ipv4' : 'ipv6');
}

/** Shape rules that need no DNS: scheme and credentials. `strict` (Azure) requires https. */
export function webhookUrlShapeProblem(url: string, strict: boolean): string | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return 'must be an absolute URL';
  }
  if (u.protocol !== 'https:' && !(u.protocol === 'http:' && !strict)) return 'must use https';
  if (u.username || u.password) return 'must not carry credentials';
  if (u.hash) return 'must not have a fragment';
  return undefined;
}
