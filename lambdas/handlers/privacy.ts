/**
 * Lambda entry for the key holder's own privacy routes (/v1/privacy/*), authorized by the
 * caller's API key. Its role holds only what these rights need (lib/table-access.ts).
 */
import { privacyRoutes } from './privacy-routes';
import { bufferedHandler } from './resolve';
import { RouteTable } from './route-table';

/** This function's slice of the route table (routes.ts). */
export const routes = new RouteTable([...privacyRoutes]);

export const handler = bufferedHandler(routes, 'privacy');
