import type { HttpMethod } from '@azure/functions';
import type { RawHandler } from './api.js';

/** One HTTP route of the app (functions/http/routes.ts is the table). */
export interface RouteDef {
  name: string;
  methods: HttpMethod[];
  /** Functions route template, relative to its prefix (see mountedRoutes). */
  route: string;
  handler: RawHandler;
  /** Needs the Durable Functions client input binding. */
  durableClient?: boolean;
}

/** A route with the path prefix it is mounted under (`api/`, or '' for the pages). */
export interface MountedRoute {
  prefix: string;
  route: RouteDef;
}
