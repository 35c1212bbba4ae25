import type { IncidentRef } from '../../shared/domain/lifecycle.js';
import type { Orchestrations } from '../../shared/ports/index.js';
import type { Deps } from '../../shared/usecases/deps.js';
import {
  buildExport,
  checkErasure,
  completeErasure,
  expireExport,
  failPrivacyRequest,
  type PrivacyRequestInput,
} from '../../shared/usecases/privacy.js';
import {
  certifyDeletion,
  checkRetention,
  deleteIncidentBlobs,
  deleteIncidentExports,
  deleteIncidentRecord,
  deleteIncidentShares,
  deleteIncidentVersions,
  ensureRetentionSchedule,
  planDeletion,
  purgeIncidentOrchestrations,
  schedulePurge,
  shredIncidentKey,
  startDeletion,
  type DeleteIncidentInput, reportDeletionFailure } from '../../shared/usecases/retention.js';

/** Activity names of the retention, deletion and privacy-request orchestrations. */
export const LIFECYCLE_ACTIVITIES = {
  checkRetention: 'retentionCheck',
  startDeletion: 'retentionStartDeletion',
  ensureSchedule: 'retentionEnsureSchedule',
  planDeletion: 'deletionPlan',
  shredKey: 'deletionShredKey',
  deleteBlobs: 'deletionBlobs',
  deleteShares: 'deletionShares',
  deleteExports: 'deletionExports',
  deleteVersions: 'deletionVersions',
  deleteRecord: 'deletionRecord',
  purgeOrchestrations: 'deletionPurgeOrchestrations',
  certify: 'deletionCertify',
  reportFailure: 'deletionReportFailure',
  schedulePurge: 'orchestrationSchedulePurge',
  buildExport: 'privacyBuildExport',
  expireExport: 'privacyExpireExport',
  checkErasure: 'privacyCheckErasure',
  completeErasure: 'privacyCompleteErasure',
  failRequest: 'privacyFail',
} as const;

type Activity = (input: unknown) => Promise<unknown>;
/** An activity that also needs the orchestration client (start, raise, purge): Durable client binding in Azure. */
export type ClientActivity = (input: unknown, orchestrations: Orchestrations) => Promise<unknown>;

/** Thin activities over the lifecycle use cases: ids in, ids and outcomes out. */
export function lifecycleActivityHandlers(deps: () => Promise<Deps>): Record<string, Activity> {
  const A = LIFECYCLE_ACTIVITIES;
  return {
    [A.checkRetention]: async (input) => checkRetention(await deps(), input as Parameters<typeof checkRetention>[1]),
    [A.planDeletion]: async (input) => planDeletion(await deps(), input as DeleteIncidentInput),
    [A.shredKey]: async (ref) => shredIncidentKey(await deps(), ref as IncidentRef),
    [A.deleteBlobs]: async (input) => deleteIncidentBlobs(await deps(), input as Parameters<typeof deleteIncidentBlobs>[1]),
    [A.deleteExports]: async (ref) => deleteIncidentExports(await deps(), ref as IncidentRef),
    [A.deleteVersions]: async (ref) => deleteIncidentVersions(await deps(), ref as IncidentRef),
    [A.deleteRecord]: async (ref) => deleteIncidentRecord(await deps(), ref as IncidentRef),
    [A.certify]: async (input) => certifyDeletion(await deps(), input as Parameters<typeof certifyDeletion>[1]),
    [A.schedulePurge]: async (input) => schedulePurge(await deps(), input as { instanceIds: string[] }),
    [A.reportFailure]: async (input) => reportDeletionFailure(await deps(), input as DeleteIncidentInput),
    [A.buildExport]: async (input) => buildExport(await deps(), input as PrivacyRequestInput),
    [A.expireExport]: async (input) => expireExport(await deps(), input as PrivacyRequestInput),
    [A.checkErasure]: async (input) => checkErasure(await deps(), input as PrivacyRequestInput),
    [A.completeErasure]: async (input) => completeErasure(await deps(), input as Parameters<typeof completeErasure>[1]),
    [A.failRequest]: async (input) => failPrivacyRequest(await deps(), input as PrivacyRequestInput),
  };
}

/** Lifecycle activities that use the orchestration client. */
export function lifecycleClientActivityHandlers(deps: () => Promise<Deps>): Record<string, ClientActivity> {
  const A = LIFECYCLE_ACTIVITIES;
  return {
    [A.startDeletion]: async (input, o) => startDeletion(o, input as DeleteIncidentInput),
    [A.ensureSchedule]: async (ref, o) => ensureRetentionSchedule(await deps(), o, ref as IncidentRef),
    [A.deleteShares]: async (ref, o) => deleteIncidentShares(await deps(), o, ref as IncidentRef),
    [A.purgeOrchestrations]: async (input, o) => purgeIncidentOrchestrations(await deps(), o, input as Parameters<typeof purgeIncidentOrchestrations>[2]),
  };
}

/** Binds client activities to one orchestration client (the local runtime). */
export function bindClientActivities(handlers: Record<string, ClientActivity>, orchestrations: () => Orchestrations): Record<string, Activity> {
  return Object.fromEntries(Object.entries(handlers).map(([name, fn]) => [name, (input: unknown) => fn(input, orchestrations())]));
}
