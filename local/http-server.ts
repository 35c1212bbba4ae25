import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import azureFunctions from '@azure/functions';
import type { HandlerEnv, RawHandler } from '../functions/http/api.js';
import type { RouteDef } from '../functions/http/routes.js';

// @azure/functions is a CommonJS bundle without static named exports: take values from its default export.
const { HttpRequest, HttpResponse, InvocationContext } = azureFunctions;

/**
 * Serves the route table the Functions host serves, on the same port and prefix
 * (http://localhost:7071/api). It only translates node:http to the Functions HttpRequest/Response
 * types; every decision is the handler's.
 */

export interface MountedRoute {
  prefix: string;
  route: RouteDef;
}

function compile(template: string): { regex: RegExp; names: string[] } {
  const names: string[] = [];
  const pattern = template
    .split('/')
    .map((seg) => {
      const m = /^\{(\w+)(?::[^}]*)?\??\}$/.exec(seg);
      if (m) {
        names.push(m[1]!);
        return '([^/]+)';
      }
      return seg.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    })
    .join('/');
  return { regex: new RegExp(`^${pattern}/?$`), names };
}

export function createLocalHttpServer(routes: MountedRoute[], env: HandlerEnv, maxBodyBytes = 1024 * 1024): Server {
  const compiled = routes.map((r) => ({ ...r, ...compile(`${r.prefix}${r.route.route}`.replace(/^\//, '')) }));
  return createServer(async (req: IncomingMessage, res: ServerResponse) => {
    try {
      const url = new URL(req.url ?? '/', `http://${req.headers.host ?? 'localhost'}`);
      const path = decodeURI(url.pathname).replace(/^\//, '');
      let matched: { handler: RawHandler; params: Record<string, string>; name: string } | undefined;
      let methodMismatch = false;
      for (const c of compiled) {
        const m = c.regex.exec(path);
        if (!m) continue;
        if (!c.route.methods.includes((req.method ?? 'GET') as never)) {
          methodMismatch = true;
          continue;
        }
        matched = { handler: c.route.handler, name: c.route.name, params: Object.fromEntries(c.names.map((n, i) => [n, m[i + 1]!])) };
        break;
      }
      if (!matched) {
        res.writeHead(methodMismatch ? 405 : 404, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: methodMismatch ? 'Method not allowed' : 'Not found', status: methodMismatch ? 405 : 404 }));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > maxBodyBytes) {
          res.writeHead(413, { 'content-type': 'application/problem+json' });
          res.end(JSON.stringify({ title: 'Payload too large', status: 413 }));
          return;
        }
        chunks.push(chunk as Buffer);
      }
      const headers: Record<string, string> = {};
      for (const [k, v] of Object.entries(req.headers)) if (v !== undefined) headers[k] = Array.isArray(v) ? v.join(', ') : v;
      // Like the platform's front end, append the TCP peer as the last X-Forwarded-For hop (whatever
      // the client sent stays to its left): CLIENT_ADDRESS_SOURCE=socket reads this hop only.
      const peer = req.socket.remoteAddress ?? 'unknown';
      headers['x-forwarded-for'] = headers['x-forwarded-for'] ? `${headers['x-forwarded-for']}, ${peer}` : peer;
      const request = new HttpRequest({
        method: req.method ?? 'GET',
        url: url.toString(),
        headers,
        query: Object.fromEntries(url.searchParams),
        params: matched.params,
        ...(chunks.length ? { body: { bytes: Buffer.concat(chunks) } } : {}),
      });
      const context = new InvocationContext({ functionName: matched.name, invocationId: crypto.randomUUID() });
      const response = new HttpResponse(await matched.handler(request, context, env));
      const outHeaders: Record<string, string> = {};
      response.headers.forEach((v, k) => (outHeaders[k] = v));
      res.writeHead(response.status, outHeaders);
      if (!response.body || req.method === 'HEAD') {
        res.end();
        return;
      }
      await pipeline(Readable.fromWeb(response.body as unknown as WebReadableStream), res);
    } catch (err) {
      if (!res.headersSent) {
        res.writeHead(500, { 'content-type': 'application/problem+json' });
        res.end(JSON.stringify({ title: 'Internal error', status: 500 }));
      } else {
        res.destroy(err as Error);
      }
    }
  });
}
