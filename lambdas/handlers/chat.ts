/**
 * Lambda entry for POST /v1/chat/completions and POST /v1/messages (API Gateway REST with
 * response streaming). Streams SSE as the upstream produces it; meters after the client has the
 * whole response; a client that leaves aborts the upstream call. The routes are in app-routes.ts.
 */
import { streamingChatHandler } from './resolve';
import { routeTable } from './routes';

export const handler = streamingChatHandler(routeTable);
