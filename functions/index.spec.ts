import http from 'node:http';
import Module from 'node:module';
import { afterAll, describe, expect, it, vi } from 'vitest';

/**
 * The Functions host's side of the registration, at its wire level: the host hands the worker a
 * `@azure/functions-core` module (absent outside the host). This test double records what the entry
 * point registers and returns the programming model, whose capabilities are what the host reads.
 */
interface ProgrammingModel {
  getCapabilities(caps: Record<string, string>): Promise<Record<string, string>>;
}
const registered: { name: string; bindings: Record<string, { type: string }> }[] = [];
let model: ProgrammingModel | undefined;
const fakeFunctionsCore = {
  log: () => undefined,
  setProgrammingModel: (m: ProgrammingModel) => {
    model = m;
  },
  registerFunction: (metadata: { name: string; bindings: Record<string, { type: string }> }) => {
    registered.push(metadata);
    return { dispose: () => undefined };
  },
  registerHook: () => ({ dispose: () => undefined }),
};
const moduleInternals = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
const load = moduleInternals._load;
moduleInternals._load = function (request: string, ...rest: unknown[]) {
  return request === '@azure/functions-core' ? fakeFunctionsCore : load.call(this, request, ...rest);
};
const servers: http.Server[] = [];
const createServer = http.createServer.bind(http);
vi.spyOn(http, 'createServer').mockImplementation(((...args: Parameters<typeof http.createServer>) => {
  const server = createServer(...args);
  servers.push(server);
  return server;
}) as typeof http.createServer);

afterAll(() => {
  moduleInternals._load = load;
  for (const s of servers) s.close();
});

describe('Azure Functions entry point', () => {
  it('enables HTTP streaming before registering, so the host streams responses instead of buffering them', async () => {
    await import('./index.js');
    expect(model).toBeDefined();
    expect(registered.some((f) => Object.values(f.bindings).some((b) => b.type === 'httpTrigger'))).toBe(true);
    // With enableHttpStream the worker opens its HTTP proxy and reports its address to the host.
    const caps = await model!.getCapabilities({});
    expect(caps.HttpUri).toMatch(/^http:\/\/localhost:\d+\/$/);
  });
});
