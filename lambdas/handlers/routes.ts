/**
 * The one route table of the router: every route the deployed API and the local server answer,
 * with the function that serves it. API Gateway's resources (lib/) mirror it. The local server
 * resolves against it; each Lambda entry (chat.ts, api.ts, admin.ts, privacy.ts) resolves against its own
 * slice of it, imported from that slice's module so a bundle carries only its function's routes
 * (test/unit/route-table.test.ts keeps each slice equal to `routeTable.only(fn)`).
 */
import { adminRoutes } from './admin-routes';
import { apiRoutes } from './api-routes';
import { chatRoutes } from './chat-routes';
import { privacyRoutes } from './privacy-routes';
import type { RouteInput } from './resolve';
import { type Route, RouteTable } from './route-table';

export const ROUTES: readonly Route<RouteInput>[] = [...chatRoutes, ...apiRoutes, ...privacyRoutes, ...adminRoutes];

export const routeTable = new RouteTable<RouteInput>(ROUTES);
