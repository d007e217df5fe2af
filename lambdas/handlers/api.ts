/**
 * Lambda entry for the buffered app routes: GET /v1/models (no key needed), and the routes that
 * need a key: POST /v1/embeddings, GET /v1/usage (the caller's own account only) and GET /v1/key
 * (its limits and remaining budget). The routes are in app-routes.ts; API Gateway proxies them here.
 */
import { bufferedHandler } from './resolve';
import { routeTable } from './routes';

export const handler = bufferedHandler(routeTable, 'api');
