import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { API_PREFIX, mountedRoutes, pageRoutes, routes } from './routes.js';

describe('route table with prefixes (host.json routePrefix is "")', () => {
  it('keeps every API route under api/ and the share page at the link path /s/{token}', () => {
    const paths = mountedRoutes.map(({ prefix, route }) => `${route.methods.join(',')} ${prefix}${route.route}`);
    expect(paths).toEqual(expect.arrayContaining([
      'POST api/incidents/{id}/shares',
      'GET api/incidents/{id}/shares',
      'DELETE api/shares/{shareId}',
      'GET s/{token}',
      'GET s/{token}/media/{evidenceId}',
      'GET s/{token}/download/{evidenceId}',
    ]));
    // Every route is mounted once under its prefix, its handler wrapped in a server span (tracedRoute).
    const mounted = (prefix: string, r: (typeof routes)[number]) =>
      expect(mountedRoutes).toContainEqual({ prefix, route: { ...r, handler: expect.any(Function) } });
    for (const r of routes) mounted(API_PREFIX, r);
    for (const r of pageRoutes) mounted('', r);
    expect(new Set(mountedRoutes.map((m) => m.route.name)).size).toBe(mountedRoutes.length);
  });

  it('host.json does not add a prefix of its own', () => {
    const host = JSON.parse(readFileSync(new URL('../../host.json', import.meta.url), 'utf8')) as { extensions: { http: { routePrefix: string } } };
    expect(host.extensions.http.routePrefix).toBe('');
  });
});
