/**
 * Lambda entry for the admin API (/admin/*) and the key holder's own privacy routes
 * (/v1/privacy/*), both in admin-routes.ts. API Gateway authorizes /admin/* with IAM (SigV4)
 * before invoking this function; /v1/privacy/* is authorized by the caller's API key.
 */
import { bufferedHandler } from './resolve';
import { routeTable } from './routes';

export const handler = bufferedHandler(routeTable, 'admin');
