/**
 * Lambda entry for the buffered app routes (api-routes.ts): GET /v1/models (no key needed), and
 * the routes that need a key: POST /v1/embeddings, GET /v1/usage (the caller's own account only)
 * and GET /v1/key (its limits and remaining budget). API Gateway proxies these paths here.
 */
import { apiRoutes } from './api-routes';
import { bufferedHandler } from './resolve';
import { RouteTable } from './route-table';

/** This function's slice of the route table (routes.ts). */
export const routes = new RouteTable(apiRoutes);

export const handler = bufferedHandler(routes, 'api');
