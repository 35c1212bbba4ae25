import { approveReview, getReview, rejectReview, submitReviewEdits, makeGetTenantSettings, makeUpdateTenantSettings } from '../../shared/usecases/review.js';
import { authenticated, json, readJson, type HandlerEnv } from './api.js';

/** Bindings only: the review use cases (shared/usecases/review.ts) over the composed ports. */
const reviewPorts = (env: HandlerEnv) => ({ deps: env.app.deps, orchestrations: env.orchestrations() });
const target = (params: Record<string, string | undefined>) => ({ incidentId: params.id ?? '', evidenceId: params.evidenceId ?? '' });

/** GET /api/incidents/{id}/evidence/{evidenceId}/review */
export const getReviewHandler = authenticated(async ({ req, env, principal, origin }) => json(200, await getReview(reviewPorts(env), principal, target(req.params), origin)));

/** POST /api/incidents/{id}/evidence/{evidenceId}/review/edits */
export const reviewEditsHandler = authenticated(async ({ req, env, principal, origin }) =>
  json(202, await submitReviewEdits(reviewPorts(env), principal, target(req.params), await readJson(req), origin)),
);

/** POST /api/incidents/{id}/evidence/{evidenceId}/review/approve */
export const approveReviewHandler = authenticated(async ({ req, env, principal, origin }) =>
  json(202, await approveReview(reviewPorts(env), principal, target(req.params), await readJson(req), origin)),
);

/** POST /api/incidents/{id}/evidence/{evidenceId}/review/reject */
export const rejectReviewHandler = authenticated(async ({ req, env, principal, origin }) =>
  json(202, await rejectReview(reviewPorts(env), principal, target(req.params), await readJson(req), origin)),
);

/** GET /api/settings */
export const getSettingsHandler = authenticated(async ({ env, principal, origin }) =>
  json(200, await makeGetTenantSettings(env.app.tenantSettings.readReviewRule, env.app.deps.audit)(principal, origin)),
);

/** PUT /api/settings (admins) */
export const putSettingsHandler = authenticated(async ({ req, env, principal, origin }) => {
  const { store, readReviewRule } = env.app.tenantSettings;
  const update = makeUpdateTenantSettings(store, readReviewRule, env.app.deps.audit, env.app.deps.clock);
  return json(200, await update(principal, await readJson(req), origin));
});
