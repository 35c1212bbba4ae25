import type { ReviewEdits, ReviewReason, ReviewTrack } from './review-model.js';

/**
 * The console's HTTP client: the same /api routes and bearer tokens as any retailer system. The
 * access token lives in this module's memory only (never in the URL, localStorage or a cookie).
 */

let accessToken: string | undefined;
let onSignedOut: (() => void) | undefined;
let rolesHeld: string[] = [];

/** The signed-in user's roles (to show or hide controls; the API decides). */
export function roles(): string[] {
  return rolesHeld;
}
export function setRoles(r: string[]): void {
  rolesHeld = r;
}

export function setToken(token: string | undefined): void {
  accessToken = token;
}
export function signedIn(): boolean {
  return accessToken !== undefined;
}
export function whenSignedOut(fn: () => void): void {
  onSignedOut = fn;
}

export class ApiError extends Error {
  override name = 'ApiError';
  constructor(
    readonly status: number,
    readonly problem: { title?: string; detail?: string; code?: string; errors?: Array<{ path: string; message: string }> },
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
}

/** The API's problem in words, with its code (409 conflicts name what changed). */
export function problemText(err: unknown): string {
  if (err instanceof ApiError) {
    const code = err.problem.code;
    const detail = err.problem.errors?.map((e) => `${e.path}: ${e.message}`).join('; ');
    return `${err.status === 409 ? 'Conflict' : `Error ${err.status}`}${code ? ` (${code})` : ''}: ${detail || err.message}`;
  }
  return (err as Error).message;
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const headers: Record<string, string> = {};
  if (accessToken) headers.authorization = `Bearer ${accessToken}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`/api/${path}`, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}), cache: 'no-store' });
  if (res.status === 401 && accessToken) {
    accessToken = undefined;
    onSignedOut?.();
  }
  const text = await res.text();
  const json = text ? (JSON.parse(text) as unknown) : undefined;
  if (!res.ok) throw new ApiError(res.status, (json ?? {}) as ApiError['problem']);
  return json as T;
}

/** Media fetched with the bearer token (shown from memory through an object URL). */
async function media(path: string): Promise<Blob> {
  const res = await fetch(`/api/${path}`, { headers: { authorization: `Bearer ${accessToken ?? ''}` }, cache: 'no-store' });
  if (!res.ok) throw new ApiError(res.status, {});
  return res.blob();
}

/** Redacted media of published evidence. */
export function redactedMedia(incidentId: string, evidenceId: string): Promise<Blob> {
  return media(`incidents/${encodeURIComponent(incidentId)}/evidence/${encodeURIComponent(evidenceId)}/content`);
}

/** The current review render of evidence awaiting review (redacted: the API serves nothing else). */
export function reviewPreview(incidentId: string, evidenceId: string): Promise<Blob> {
  return media(`incidents/${encodeURIComponent(incidentId)}/evidence/${encodeURIComponent(evidenceId)}/preview`);
}

// The API's shapes (the console reads only these fields).
export interface EvidenceView {
  id: string;
  fileName: string;
  contentType: string;
  mediaKind: 'video' | 'image';
  status: string;
  original?: { sha256: string; sizeBytes: number };
  redacted?: { sha256: string; sizeBytes: number; contentType: string };
  summary?: Record<string, unknown>;
  quarantine?: { code: string; reason: string };
  publishedAt?: string;
}
export interface IncidentView {
  id: string;
  storeId: string;
  occurredAt: string;
  category: string;
  outcome: string;
  description: string;
  createdAt: string;
  deleteAfter?: string;
  legalHold?: { reason: string; placedAt: string };
  evidence: EvidenceView[];
}
export interface ListRow {
  id: string;
  storeId: string;
  occurredAt: string;
  category: string;
  outcome: string;
  createdAt: string;
  evidence: Array<{ id: string; status: string; mediaKind: string }>;
}
export interface LiveStatus {
  id: string;
  status: string;
  quarantine?: { code: string; reason: string };
  live?: { stage: string; attempt?: number; maxAttempts?: number; code?: string; version?: number };
}
export interface ShareView {
  id: string;
  status: string;
  recipient: { agency: string; officerEmail: string };
  purpose: string;
  accessMode: string;
  evidenceIds: string[];
  createdAt: string;
  expiresAt: string;
  access: { views: number; media: number; downloads: number; denied: number };
}
export interface AuditEntry {
  seq: number;
  at: string;
  actor: { type: string; id: string; role?: string };
  action: string;
  outcome: string;
  reason?: string;
  target: { evidenceId?: string; shareId?: string; version?: number; attempts?: number };
  channel: string;
}
/** The upload slot fields the console uses (the API's response has more). */
export interface UploadSlot {
  evidenceId: string;
  url: string;
}
export interface ReviewView {
  evidenceId: string;
  status: string;
  state: 'ready' | 'rendering' | 'decided';
  reasons: ReviewReason[];
  since: string;
  deadline: string;
  /** The render's geometry comes from its report (only `version` when the report cannot be read). */
  render: { version: number; contentType?: string; width: number; height: number; fps?: number; frames?: number; durationSeconds?: number };
  tracks: ReviewTrack[];
  failedFrames: number[];
  edits: null | ({ version: number } & ReviewEdits);
  history: Array<{ version: number; kind: 'edits' | 'approved' | 'rejected' | 'deadline' | 'render-failed'; by: string; at: string; reason?: string }>;
  previewUrl: string;
}
export type ReviewMode = 'always' | 'when-needed' | 'never';
export interface TenantSettings {
  review: ReviewMode;
  reviewDeadlineHours: number;
}
