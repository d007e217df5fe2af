/**
 * The one route table of the router: every route the deployed API and the local server answer,
 * with the function that serves it. API Gateway's resources (lib/) mirror it; the Lambda entries
 * (chat.ts, api.ts, admin.ts) and the local server resolve against it.
 */
import { adminRoutes, privacyRoutes } from './admin-routes';
import { appRoutes } from './app-routes';
import type { RouteInput } from './resolve';
import { type Route, RouteTable } from './route-table';

export const ROUTES: readonly Route<RouteInput>[] = [...appRoutes, ...privacyRoutes, ...adminRoutes];

export const routeTable = new RouteTable<RouteInput>(ROUTES);
