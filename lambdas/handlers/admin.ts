/**
 * Lambda entry for the admin API (/admin/*): accounts, keys, limits, usage and statements.
 * In the cloud API Gateway authorizes these routes with IAM (SigV4); in local mode the server
 * accepts them from loopback only.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { UsageGrouping } from '../core/accounts';
import { ApiError } from '../core/errors';
import { jsonResult, type HttpResult } from '../core/http';
import { jsonBody, toProxyResult } from './http';
import { openAIErrors } from './middleware';
import { dispatch, query, route, type RouteDef } from './routes';
import { runtime, type Runtime } from './runtime';

let rt: Runtime | undefined;

const optionalBody = (event: APIGatewayProxyEvent) => (event.body ? jsonBody(event) : {});
const today = () => new Date().toISOString().slice(0, 10);
const GROUPS: UsageGrouping[] = ['day', 'model', 'provider', 'key'];

const routes = (r: Runtime): RouteDef[] => [
  route('POST', '/admin/accounts', async (_p, e) => jsonResult(201, await r.accounts.createAccount(jsonBody(e)))),
  route('GET', '/admin/accounts', async () => jsonResult(200, { data: await r.accounts.listAccounts() })),
  route('GET', '/admin/accounts/:id', async ([id]) => jsonResult(200, await r.accounts.getAccount(id!))),
  route('PATCH', '/admin/accounts/:id', async ([id], e) => jsonResult(200, await r.accounts.updateAccount(id!, jsonBody(e)))),
  route('POST', '/admin/accounts/:id/close', async ([id]) => jsonResult(200, await r.accounts.closeAccount(id!))),
  route('POST', '/admin/accounts/:id/keys', async ([id], e) => jsonResult(201, await r.accounts.createKey(id!, optionalBody(e)))),
  route('GET', '/admin/accounts/:id/keys', async ([id]) => jsonResult(200, { data: await r.accounts.listKeys(id!) })),
  route('POST', '/admin/keys/:keyId/revoke', async ([k]) => jsonResult(200, await r.accounts.revokeKey(k!))),
  route('POST', '/admin/keys/:keyId/rotate', async ([k]) => jsonResult(201, await r.accounts.rotateKey(k!))),
  route('PATCH', '/admin/keys/:keyId', async ([k], e) => jsonResult(200, await r.accounts.setKeyLimits(k!, (jsonBody(e) as { limits?: unknown }).limits ?? {}))),
  route('GET', '/admin/accounts/:id/usage', async ([id], e) => {
    const by = (query(e, 'by') ?? 'day') as UsageGrouping;
    if (!GROUPS.includes(by)) throw ApiError.invalidRequest(`by must be one of ${GROUPS.join(', ')}.`, 'by');
    const to = query(e, 'to') ?? today();
    const from = query(e, 'from') ?? `${to.slice(0, 8)}01`;
    return jsonResult(200, { data: await r.accounts.usage(id!, { from, to, by, keyId: query(e, 'key') }) });
  }),
  route('GET', '/admin/accounts/:id/statements/:month', async ([id, month]) => jsonResult(200, await r.accounts.statement(id!, month!))),
];

const inner = middy<APIGatewayProxyEvent, HttpResult, Error, Context>(async (event: APIGatewayProxyEvent) => {
  rt = await runtime();
  return dispatch(routes(rt), event);
}).use(openAIErrors(() => rt?.log));

export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> =>
  toProxyResult(await inner(event, context));
