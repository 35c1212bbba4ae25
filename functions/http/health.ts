import type { RawHandler } from './api.js';

/**
 * GET /api/health: every dependency (blob, queue, Cosmos, Key Vault) and the redaction backlog;
 * 503 when a dependency does not answer. Anonymous: no data, no configuration values.
 */
export const healthHandler: RawHandler = async (_req, _ctx, env) => {
  const [dependencies, backlog] = await Promise.all([env.app.health(), redactionBacklog(env)]);
  const ok = Object.values(dependencies).every((d) => d.ok);
  return {
    status: ok ? 200 : 503,
    jsonBody: { status: ok ? 'ok' : 'degraded', geography: env.app.deps.config.BYSTANDER_GEOGRAPHY, dependencies, ...(backlog ? { backlog: { redactionJobs: backlog } } : {}) },
    headers: { 'cache-control': 'no-store' },
  };
};

/** GET /api/health/live: the process answers (no dependency is called; a restart is the cure for a failure). */
export const liveHandler: RawHandler = async () => ({ status: 200, jsonBody: { status: 'alive' }, headers: { 'cache-control': 'no-store' } });

/** GET /api/health/ready: 200 only when every dependency answers (take traffic), else 503. */
export const readyHandler: RawHandler = async (_req, _ctx, env) => {
  const dependencies = await env.app.health();
  const ok = Object.values(dependencies).every((d) => d.ok);
  return { status: ok ? 200 : 503, jsonBody: { status: ok ? 'ready' : 'not-ready', dependencies }, headers: { 'cache-control': 'no-store' } };
};

async function redactionBacklog(env: Parameters<RawHandler>[2]) {
  try {
    return await env.app.redactionBacklog();
  } catch {
    return undefined; // the queue check above already reports the outage
  }
}
