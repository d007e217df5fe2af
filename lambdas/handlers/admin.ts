/**
 * Lambda entry for the admin API (/admin/*, admin-routes.ts). API Gateway authorizes it with IAM
 * (SigV4), and its resource policy admits only the stack's operator role.
 */
import { adminRoutes } from './admin-routes';
import { bufferedHandler } from './resolve';
import { RouteTable } from './route-table';

/** This function's slice of the route table (routes.ts). */
export const routes = new RouteTable([...adminRoutes]);

export const handler = bufferedHandler(routes, 'admin');
