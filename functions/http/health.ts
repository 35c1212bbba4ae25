import type { RawHandler } from './api.js';

/** Anonymous liveness + dependency state; no data, no configuration values. */
export const healthHandler: RawHandler = async (_req, _ctx, env) => {
  const dependencies = await env.app.health();
  const ok = Object.values(dependencies).every((d) => d.ok);
  return {
    status: ok ? 200 : 503,
    jsonBody: { status: ok ? 'ok' : 'degraded', geography: env.app.deps.config.BYSTANDER_GEOGRAPHY, dependencies },
    headers: { 'cache-control': 'no-store' },
  };
};
