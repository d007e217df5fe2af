/**
 * The api function's routes (buffered): models (no key needed), usage, key status and the key
 * holder's page. Reads only: what meters requests runs in the chat function (chat-routes.ts).
 * Authentication and body parsing happen in the middleware chain; each route only calls core.
 */

import { routingContext } from '../core/chat';
import { listModels } from '../core/models';
import { USAGE_GROUPINGS } from '../core/usage-report';
import { RouterError } from '../domain/errors';
import { dashboardPage } from './dashboard-page';
import { query } from './http';
import { jsonResult } from './http-result';
import { defineRoute } from './resolve';

const USAGE_GROUPS = USAGE_GROUPINGS;

export const apiRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/models',
    fn: 'api',
    auth: 'none',
    handle: async ({ rt, event }) => {
      // The region's health counts, refreshed if stale (bounded by the store's timeouts; never throws).
      await rt.chat.health?.sync();
      return jsonResult(
        200,
        listModels(rt.catalog, routingContext(rt.chat), { all: query(event, 'all') === 'true', health: rt.chat.health }),
      );
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/models/:model+',
    fn: 'api',
    auth: 'none',
    handle: async ({ rt, params }) => {
      await rt.chat.health?.sync();
      const model = listModels(rt.catalog, routingContext(rt.chat), { all: true, health: rt.chat.health }).data.find(
        (m) => m.id === params.model,
      );
      if (!model) throw RouterError.notFound(`The model \`${params.model}\` does not exist.`, 'model', 'model_not_found');
      return jsonResult(200, model);
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/usage',
    fn: 'api',
    auth: 'key',
    handle: async ({ event, caller, rt }) => {
      const to = query(event, 'to') ?? new Date().toISOString().slice(0, 10);
      const by = (query(event, 'by') ?? 'day') as (typeof USAGE_GROUPS)[number];
      if (!USAGE_GROUPS.includes(by)) throw RouterError.invalidRequest(`by must be one of ${USAGE_GROUPS.join(', ')}.`, 'by');
      // Tenant isolation: the account comes from the key, never from the request.
      const rows = await rt.accounts.usage(caller.accountId, { from: query(event, 'from') ?? `${to.slice(0, 8)}01`, to, by });
      return jsonResult(200, { object: 'list', account_id: caller.accountId, data: rows });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/key',
    fn: 'api',
    auth: 'key',
    handle: async ({ caller, rt }) => jsonResult(200, { data: await rt.accounts.keyStatus(caller) }),
  }),
  // The key holder's read-only page; it holds no data and asks for the key itself (dashboard-page.ts).
  defineRoute({ method: 'GET', path: '/v1/dashboard', fn: 'api', auth: 'none', handle: () => dashboardPage() }),
];
