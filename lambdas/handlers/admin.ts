/**
 * Lambda entry for the admin API (/admin/*) and the key holder's own privacy routes
 * (/v1/privacy/*), both in admin-routes.ts. API Gateway authorizes /admin/* with IAM (SigV4)
 * before invoking this function; /v1/privacy/* is authorized by the caller's API key.
 */
import { adminRoutes, privacyRoutes } from './admin-routes';
import { bufferedHandler } from './resolve';
import { RouteTable } from './route-table';

/** This function's slice of the route table (routes.ts). */
export const routes = new RouteTable([...privacyRoutes, ...adminRoutes]);

export const handler = bufferedHandler(routes, 'admin');
