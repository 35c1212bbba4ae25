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
    readonly problem: { title?: string; detail?: string; errors?: Array<{ path: string; message: string }> },
  ) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
  }
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

/** Redacted media of published evidence, fetched with the bearer token and shown from memory. */
export async function redactedMedia(incidentId: string, evidenceId: string): Promise<Blob> {
  const res = await fetch(`/api/incidents/${encodeURIComponent(incidentId)}/evidence/${encodeURIComponent(evidenceId)}/content`, {
    headers: { authorization: `Bearer ${accessToken ?? ''}` },
    cache: 'no-store',
  });
  if (!res.ok) throw new ApiError(res.status, {});
  return res.blob();
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
  live?: { stage: string; attempt?: number; maxAttempts?: number; code?: string };
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
