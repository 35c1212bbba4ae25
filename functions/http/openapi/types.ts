import type { Role } from '../../../shared/auth/tokens.js';
import type { RequestSchemaName, ResponseSchemaName } from './schemas.js';

/** What the OpenAPI document says about one route (operations.ts, console-operations.ts, review-operations.ts). */
export interface ResponseDoc {
  description: string;
  /** JSON body described by a response schema… */
  schema?: ResponseSchemaName;
  /** …or a binary body of these media types. */
  binary?: string[];
  example?: unknown;
  headers?: Record<string, string>;
}

export interface OperationDoc {
  summary: string;
  description?: string;
  tag: 'system' | 'incidents' | 'evidence' | 'shares' | 'lifecycle' | 'privacy' | 'webhooks';
  /** Roles that may call it; absent = anonymous. */
  roles?: Role[];
  request?: { schema: RequestSchemaName; example: unknown };
  /** Path parameter descriptions (every `{param}` of the route). */
  params?: Record<string, string>;
  headers?: Record<string, string>;
  responses: Record<number, ResponseDoc>;
  /** Problem-details statuses besides the auth ones (401/403 are added for authenticated routes). */
  problems: number[];
}
