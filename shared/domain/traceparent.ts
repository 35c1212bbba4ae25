import { z } from 'zod';

/**
 * A W3C `traceparent` (00-<trace id>-<span id>-<flags>) carried as an opaque id through records,
 * orchestration inputs and queue messages, so one evidence item is one trace (shared/telemetry).
 */
export const TRACEPARENT = /^00-[0-9a-f]{32}-[0-9a-f]{16}-[0-9a-f]{2}$/;
export const TraceparentSchema = z.string().regex(TRACEPARENT, 'a W3C traceparent');
