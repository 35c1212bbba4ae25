import { deleteWebhook, listWebhooks, registerWebhook } from '../../shared/usecases/webhooks.js';
import { authenticated, json, readJson, type HandlerEnv } from './api.js';

const adminPorts = ({ app }: HandlerEnv) => ({ ...app.webhooks, audit: app.deps.audit, clock: app.deps.clock, newId: app.deps.newId });

/** POST /api/webhooks — admin registers an endpoint; the signing secret is in this response only. */
export const createWebhookHandler = authenticated(async ({ req, env, principal, origin }) => {
  const body = await readJson(req);
  const created = await registerWebhook(adminPorts(env), principal, body, origin);
  return json(201, created, { location: `/api/webhooks/${created.id}` });
});

/** GET /api/webhooks — the tenant's endpoints (no secrets). */
export const listWebhooksHandler = authenticated(async ({ env, principal, origin }) => json(200, await listWebhooks(adminPorts(env), principal, origin)));

/** DELETE /api/webhooks/{webhookId} — removes the endpoint and its secret. */
export const deleteWebhookHandler = authenticated(async ({ req, env, principal, origin }) => {
  await deleteWebhook(adminPorts(env), principal, req.params.webhookId ?? '', origin);
  return { status: 204, headers: { 'cache-control': 'no-store' } };
});
