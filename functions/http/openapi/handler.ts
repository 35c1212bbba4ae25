import type { RawHandler } from '../api.js';
import { openApiDocument } from './document.js';

/** GET /api/openapi.json — anonymous: the API description holds no data. */
export const openApiHandler: RawHandler = async () => ({
  status: 200,
  jsonBody: openApiDocument(),
  headers: { 'cache-control': 'public, max-age=300', 'x-content-type-options': 'nosniff' },
});
