import type { HttpMethod } from '@azure/functions';
import type { RawHandler } from './api.js';
import { healthHandler } from './health.js';
import { createIncidentHandler, getIncidentHandler } from './incidents.js';
import { getEvidenceContentHandler } from './evidence.js';

export interface RouteDef {
  name: string;
  methods: HttpMethod[];
  /** Functions route template, relative to the `api` prefix (host.json). */
  route: string;
  handler: RawHandler;
  /** Needs the Durable Functions client input binding. */
  durableClient?: boolean;
}

/** The one route table: registered with the Functions host and served by the local stack. */
export const routes: RouteDef[] = [
  { name: 'health', methods: ['GET'], route: 'health', handler: healthHandler },
  { name: 'createIncident', methods: ['POST'], route: 'incidents', handler: createIncidentHandler },
  { name: 'getIncident', methods: ['GET'], route: 'incidents/{id}', handler: getIncidentHandler },
  { name: 'getEvidenceContent', methods: ['GET'], route: 'incidents/{id}/evidence/{evidenceId}/content', handler: getEvidenceContentHandler },
];
