import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import http from 'node:http';
import https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { isInternalAddress, webhookUrlShapeProblem } from '../../webhooks/endpoint.js';
import { WebhookTransportError, type WebhookSender, type WebhookUrlGuard } from '../../ports/webhooks.js';

/** Resolves a host name to every address it has (a literal address resolves to itself). */
async function resolveAll(hostname: string): Promise<string[]> {
  const host = hostname.replace(/^\[|\]$/g, '');
  if (isIP(host)) return [host];
  return new Promise((resolve, reject) =>
    dnsLookup(host, { all: true }, (err, addresses: LookupAddress[]) => (err ? reject(err) : resolve(addresses.map((a) => a.address)))),
  );
}

/**
 * Endpoint URL rules. `strict` (Azure): https only, and the host must resolve, to public addresses
 * only (every address it resolves to). Locally http and loopback receivers are allowed.
 */
export function webhookUrlGuard(strict: boolean): WebhookUrlGuard {
  return {
    async problem(url) {
      const shape = webhookUrlShapeProblem(url, strict);
      if (shape || !strict) return shape;
      let addresses: string[];
      try {
        addresses = await resolveAll(new URL(url).hostname);
      } catch {
        return 'must name a host that resolves';
      }
      if (addresses.length === 0 || addresses.some(isInternalAddress)) return 'must not resolve to loopback, private or link-local addresses';
      return undefined;
    },
  };
}

/**
 * A DNS lookup for the delivery socket that refuses internal addresses (strict mode): the check and
 * the connection use the same answer, so a name that re-resolves to a private address after
 * registration (DNS rebinding) is refused at delivery too.
 */
function guardedLookup(strict: boolean): LookupFunction {
  return (hostname, options, callback) => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses: LookupAddress[]) => {
      if (err) return callback(err, '', 0);
      const allowed = strict ? addresses.filter((a) => !isInternalAddress(a.address)) : addresses;
      if (allowed.length === 0) return callback(Object.assign(new Error('refused address'), { code: 'EREFUSEDADDRESS' }), '', 0);
      if ((options as { all?: boolean }).all) return (callback as unknown as (e: null, a: LookupAddress[]) => void)(null, allowed);
      return callback(null, allowed[0]!.address, allowed[0]!.family);
    });
  };
}

export interface HttpWebhookSenderOptions {
  /** Azure: https only and public addresses only (checked on the resolved address the socket uses). */
  strict: boolean;
  timeoutMs?: number;
}

/**
 * Delivers over node:http(s): no redirects followed, a short timeout, the answer's body discarded
 * (at most 64 KiB read), and in strict mode no connection to internal addresses.
 */
export function httpWebhookSender(options: HttpWebhookSenderOptions): WebhookSender {
  const timeoutMs = options.timeoutMs ?? 10_000;
  return {
    post(url, headers, body) {
      const shape = webhookUrlShapeProblem(url, options.strict);
      if (shape) return Promise.reject(new WebhookTransportError('invalid-url'));
      const target = new URL(url);
      const host = target.hostname.replace(/^\[|\]$/g, '');
      if (options.strict && isIP(host) && isInternalAddress(host)) return Promise.reject(new WebhookTransportError('refused-address'));
      const mod = target.protocol === 'https:' ? https : http;
      return new Promise((resolve, reject) => {
        const req = mod.request(
          target,
          {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'content-length': String(Buffer.byteLength(body)), 'user-agent': 'Bystander-Webhooks/1', ...headers },
            lookup: guardedLookup(options.strict),
            timeout: timeoutMs,
          },
          (res) => {
            let read = 0;
            res.on('data', (c: Buffer) => {
              read += c.length;
              if (read > 64 * 1024) res.destroy();
            });
            res.on('error', () => undefined);
            res.on('close', () => resolve({ status: res.statusCode ?? 0 }));
            res.resume();
          },
        );
        req.on('timeout', () => req.destroy(new WebhookTransportError('timeout')));
        req.on('error', (err: NodeJS.ErrnoException) => {
          if (err instanceof WebhookTransportError) return reject(err);
          if (err.code === 'EREFUSEDADDRESS') return reject(new WebhookTransportError('refused-address'));
          if (/CERT|SSL|TLS/i.test(err.code ?? '')) return reject(new WebhookTransportError('tls'));
          reject(new WebhookTransportError('unreachable'));
        });
        req.end(body);
      });
    },
  };
}
