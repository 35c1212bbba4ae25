import { describe, expect, it } from 'vitest';
import azureFunctions from '@azure/functions';
import { loadConfig } from '../../shared/config/config.js';
import { clientAddressOf, hopAddress, rateLimitKeyOf, type ClientAddressSettings } from './client-address.js';

const { HttpRequest } = azureFunctions;
const req = (headers: Record<string, string>) => new HttpRequest({ method: 'GET', url: 'http://localhost/s/x', headers });
const local: ClientAddressSettings = { BYSTANDER_MODE: 'local', CLIENT_ADDRESS_HOPS: 1 };
const appService: ClientAddressSettings = { BYSTANDER_MODE: 'azure', CLIENT_ADDRESS_SOURCE: 'x-forwarded-for', CLIENT_ADDRESS_HOPS: 1 };
const FDID = '6f1d1a4e-2b7c-4c59-9f0e-0d8f5b1f9a11';
const frontDoor: ClientAddressSettings = { BYSTANDER_MODE: 'azure', CLIENT_ADDRESS_SOURCE: 'front-door', CLIENT_ADDRESS_HOPS: 2, FRONT_DOOR_ID: FDID };

describe('client address from the trusted source only', () => {
  it('locally: the socket peer the local server appended, whatever the client wrote to its left', () => {
    expect(clientAddressOf(req({ 'x-forwarded-for': '127.0.0.1' }), local)).toBe('127.0.0.1');
    expect(clientAddressOf(req({ 'x-forwarded-for': '198.51.100.1, 127.0.0.1', 'x-azure-clientip': '198.51.100.2', 'x-client-ip': '198.51.100.3' }), local)).toBe('127.0.0.1');
  });

  it('behind the platform front end: the hop it appended (port stripped), never X-Azure-ClientIP', () => {
    expect(clientAddressOf(req({ 'x-forwarded-for': '198.51.100.1, 203.0.113.7:50412', 'x-azure-clientip': '198.51.100.9' }), appService)).toBe('203.0.113.7');
    expect(clientAddressOf(req({ 'x-forwarded-for': '[2001:db8::1]:443' }), appService)).toBe('2001:db8::1');
    expect(clientAddressOf(req({}), appService)).toBeUndefined();
    expect(clientAddressOf(req({ 'x-forwarded-for': 'not-an-address' }), appService)).toBeUndefined();
    // Two trusted proxies (e.g. an application gateway in front): the second hop from the right.
    expect(clientAddressOf(req({ 'x-forwarded-for': '198.51.100.1, 203.0.113.7, 10.0.0.4' }), { ...appService, CLIENT_ADDRESS_HOPS: 2 })).toBe('203.0.113.7');
    expect(clientAddressOf(req({ 'x-forwarded-for': '10.0.0.4' }), { ...appService, CLIENT_ADDRESS_HOPS: 2 })).toBeUndefined();
  });

  it('behind Front Door: X-Azure-ClientIP only on requests carrying the stamp\'s Front Door id', () => {
    expect(clientAddressOf(req({ 'x-azure-fdid': FDID, 'x-azure-clientip': '203.0.113.7', 'x-forwarded-for': '203.0.113.7, 147.243.0.1' }), frontDoor)).toBe('203.0.113.7');
    // Straight to the app (or through someone else's Front Door): the header is the client's own words.
    expect(clientAddressOf(req({ 'x-azure-clientip': '198.51.100.9', 'x-forwarded-for': '198.51.100.8, 203.0.113.50' }), frontDoor)).toBe('198.51.100.8');
    expect(clientAddressOf(req({ 'x-azure-fdid': '00000000-0000-4000-8000-000000000000', 'x-azure-clientip': '198.51.100.9', 'x-forwarded-for': '203.0.113.50' }), { ...frontDoor, CLIENT_ADDRESS_HOPS: 1 })).toBe('203.0.113.50');
  });

  it('rate-limit keys: equal spellings collide, IPv6 counts per /64', () => {
    expect(hopAddress('::ffff:203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKeyOf('203.0.113.7')).toBe('203.0.113.7');
    expect(rateLimitKeyOf('2001:db8:1:2:aaaa::1')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKeyOf('2001:db8:1:2:bbbb:cccc:dddd:eeee')).toBe('2001:db8:1:2::/64');
    expect(rateLimitKeyOf('2001:db8::1')).toBe('2001:db8:0:0::/64');
    expect(rateLimitKeyOf(undefined)).toBe('unknown');
  });

  it('the setting is validated: socket is local-only, front-door needs the Front Door id', () => {
    const azure = {
      BYSTANDER_GEOGRAPHY: 'au',
      STORAGE__blobServiceUri: 'https://acct.blob.core.windows.net',
      STORAGE__queueServiceUri: 'https://acct.queue.core.windows.net',
      COSMOS__accountEndpoint: 'https://acct.documents.azure.com:443/',
      AUTH__issuer: 'i',
      AUTH__audience: 'a',
      AUTH__jwksUri: 'https://login.example/keys',
      AUDIT_ORIGIN_KEY: Buffer.alloc(32, 7).toString('base64'),
      KEYVAULT__uri: 'https://kv.vault.azure.net/',
    };
    expect(loadConfig({ ...azure, CLIENT_ADDRESS_SOURCE: 'x-forwarded-for', CLIENT_ADDRESS_HOPS: '2' }).CLIENT_ADDRESS_HOPS).toBe(2);
    expect(() => loadConfig({ ...azure, CLIENT_ADDRESS_SOURCE: 'socket' })).toThrow(/CLIENT_ADDRESS_SOURCE: socket is the local stack only/);
    expect(() => loadConfig({ ...azure, CLIENT_ADDRESS_SOURCE: 'front-door' })).toThrow(/FRONT_DOOR_ID: required/);
    expect(() => loadConfig({ ...azure, CLIENT_ADDRESS_SOURCE: 'x-client-ip' })).toThrow(/CLIENT_ADDRESS_SOURCE/);
    expect(() => loadConfig({ ...azure, CLIENT_ADDRESS_HOPS: '0' })).toThrow(/CLIENT_ADDRESS_HOPS/);
  });
});
