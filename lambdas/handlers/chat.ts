/**
 * Lambda entry for POST /v1/chat/completions and POST /v1/messages (chat-routes.ts; API Gateway
 * REST with response streaming). Streams SSE as the upstream produces it; meters after the client
 * has the whole response; a client that leaves aborts the upstream call.
 */
import { chatRoutes } from './chat-routes';
import { streamingChatHandler } from './resolve';
import { RouteTable } from './route-table';

/** This function's slice of the route table (routes.ts). */
export const routes = new RouteTable(chatRoutes);

export const handler = streamingChatHandler(routes);
