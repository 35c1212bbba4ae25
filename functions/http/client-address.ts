import type { HttpRequest } from '@azure/functions';
import { canonicalIp } from '../../shared/audit/origin.js';
import type { Config } from '../../shared/config/config.js';

/**
 * The client's address, taken only from what the deployment guarantees (CLIENT_ADDRESS_SOURCE):
 * never X-Azure-ClientIP from a request that did not come through the stamp's Front Door, never
 * an X-Forwarded-For hop the client could have written. Trusted front ends append their peer's
 * address on the right, so the client's address is the CLIENT_ADDRESS_HOPS-th hop from the right;
 * anything to its left is whatever the client sent.
 */
export type ClientAddressSettings = Pick<Config, 'BYSTANDER_MODE' | 'CLIENT_ADDRESS_SOURCE' | 'CLIENT_ADDRESS_HOPS' | 'FRONT_DOOR_ID'>;

/** One forwarded address without its port ("203.0.113.7:50412", "[2001:db8::1]:443"), canonical; undefined if it is none. */
export function hopAddress(hop: string): string | undefined {
  const h = hop.trim();
  const bracketed = /^\[([^\]]+)\](?::\d{1,5})?$/.exec(h);
  const v4WithPort = /^(\d{1,3}(?:\.\d{1,3}){3}):\d{1,5}$/.exec(h);
  return canonicalIp(bracketed?.[1] ?? v4WithPort?.[1] ?? h);
}

/** The client address for this request, or undefined when the trusted source carries no valid address. */
export function clientAddressOf(req: HttpRequest, settings: ClientAddressSettings): string | undefined {
  const source = settings.CLIENT_ADDRESS_SOURCE ?? (settings.BYSTANDER_MODE === 'local' ? 'socket' : 'x-forwarded-for');
  if (source === 'front-door' && settings.FRONT_DOOR_ID && req.headers.get('x-azure-fdid')?.trim().toLowerCase() === settings.FRONT_DOOR_ID.toLowerCase()) {
    return hopAddress(req.headers.get('x-azure-clientip') ?? '');
  }
  const hops = (req.headers.get('x-forwarded-for') ?? '')
    .split(',')
    .map((x) => x.trim())
    .filter(Boolean);
  const fromRight = source === 'socket' ? 1 : settings.CLIENT_ADDRESS_HOPS;
  const hop = hops.length >= fromRight ? hops[hops.length - fromRight] : undefined;
  return hop === undefined ? undefined : hopAddress(hop);
}

/**
 * What the invalid-attempt limiter counts against: the address, an IPv6 address by its /64 (one
 * subscriber's prefix holds 2^64 addresses to rotate through), `unknown` when there is none.
 */
export function rateLimitKeyOf(address: string | undefined): string {
  if (!address) return 'unknown';
  if (!address.includes(':')) return address;
  const [head = '', tail] = address.split('::');
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(Math.max(0, 8 - left.length - right.length)).fill('0'), ...right];
  return `${groups.slice(0, 4).map((g) => parseInt(g, 16).toString(16)).join(':')}::/64`;
}
