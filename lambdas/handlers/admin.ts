/**
 * Lambda entry for the admin API (/admin/*: accounts, keys, limits, usage, statements and the
 * data-subject rights) and for the key holder's own privacy routes (/v1/privacy/*).
 * API Gateway authorizes /admin/* with IAM (SigV4); in local mode the server accepts them from
 * loopback only. /v1/privacy/* is authorized by the caller's API key and reaches only its account.
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import type { UsageGrouping } from '../core/accounts';
import { jsonResult, type HttpResult } from './http-result';
import { header, jsonBody, toProxyResult } from './http';
import { openAIErrors } from './middleware';
import { dispatch, query, route, type RouteDef } from './routes';
import { runtime, type Runtime } from './runtime';
import { RouterError } from '../domain/errors';

let rt: Runtime | undefined;
/** The route table, built once per process (it closes over the runtime). */
let table: RouteDef[] | undefined;

const optionalBody = (event: APIGatewayProxyEvent) => (event.body ? jsonBody(event) : {});
const today = () => new Date().toISOString().slice(0, 10);
const GROUPS: UsageGrouping[] = ['day', 'model', 'provider', 'key'];
const flag = (event: APIGatewayProxyEvent): boolean => {
  const on = (optionalBody(event) as { on?: unknown }).on ?? true;
  if (typeof on !== 'boolean') throw RouterError.invalidRequest('on must be true or false.', 'on');
  return on;
};

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
    if (!GROUPS.includes(by)) throw RouterError.invalidRequest(`by must be one of ${GROUPS.join(', ')}.`, 'by');
    const to = query(e, 'to') ?? today();
    const from = query(e, 'from') ?? `${to.slice(0, 8)}01`;
    return jsonResult(200, { data: await r.accounts.usage(id!, { from, to, by, keyId: query(e, 'key') }) });
  }),
  route('GET', '/admin/accounts/:id/statements/:month', async ([id, month]) => jsonResult(200, await r.accounts.statement(id!, month!))),
  // Support communications, kept until resolved (§8).
  route('GET', '/admin/accounts/:id/support', async ([id]) => jsonResult(200, { data: await r.support.list(id!) })),
  route('POST', '/admin/accounts/:id/support', async ([id], e) => jsonResult(201, await r.support.open((await r.accounts.getAccount(id!)).accountId, jsonBody(e)))),
  route('POST', '/admin/accounts/:id/support/:ticket', async ([id, t], e) => jsonResult(200, await r.support.reply(id!, t!, jsonBody(e)))),
  route('POST', '/admin/accounts/:id/support/:ticket/resolve', async ([id, t]) => jsonResult(200, await r.support.resolve(id!, t!))),
  // Data-subject rights (§6), on behalf of the account.
  route('GET', '/admin/accounts/:id/export', async ([id]) => jsonResult(200, await r.privacy.exportAccount(id!, 'operator'))),
  route('POST', '/admin/accounts/:id/correct', async ([id], e) => jsonResult(200, await r.privacy.correct(id!, jsonBody(e), 'operator'))),
  route('POST', '/admin/accounts/:id/restrict', async ([id], e) => jsonResult(200, await r.privacy.restrict(id!, flag(e), 'operator'))),
  route('POST', '/admin/accounts/:id/object', async ([id], e) => jsonResult(200, await r.privacy.object(id!, flag(e), 'operator'))),
  route('POST', '/admin/accounts/:id/erase', async ([id]) => jsonResult(200, { accountId: id, erased: true, counts: await r.privacy.erase(id!, 'operator') })),
  route('GET', '/admin/accounts/:id/privacy-requests', async ([id]) => jsonResult(200, { data: await r.privacy.auditTrail(id!) })),
  // The key holder's own rights: the account comes from the key, never from the request.
  route('GET', '/v1/privacy/export', async (_p, e) => jsonResult(200, await r.privacy.exportAccount((await holder(r, e)).accountId, 'key-holder'))),
  route('POST', '/v1/privacy/correct', async (_p, e) => jsonResult(200, await r.privacy.correct((await holder(r, e)).accountId, jsonBody(e), 'key-holder'))),
  route('POST', '/v1/privacy/restrict', async (_p, e) => jsonResult(200, await r.privacy.restrict((await holder(r, e)).accountId, flag(e), 'key-holder'))),
  route('POST', '/v1/privacy/object', async (_p, e) => jsonResult(200, await r.privacy.object((await holder(r, e)).accountId, flag(e), 'key-holder'))),
  route('POST', '/v1/privacy/erase', async (_p, e) => {
    const { accountId } = await holder(r, e);
    // Erasure cannot be undone: the caller confirms by naming its account.
    if ((optionalBody(e) as { confirm?: unknown }).confirm !== accountId)
      throw RouterError.invalidRequest('To erase this account, send {"confirm": "<your account id>"}.', 'confirm', 'confirmation_required');
    return jsonResult(200, { accountId, erased: true, counts: await r.privacy.erase(accountId, 'key-holder') });
  }),
];

const holder = (r: Runtime, e: APIGatewayProxyEvent) => r.privacyAuth.authenticate(header(e, 'authorization'));

const inner = middy<APIGatewayProxyEvent, HttpResult, Error, Context>(async (event: APIGatewayProxyEvent) => {
  rt = await runtime();
  table ??= routes(rt);
  return dispatch(table, event);
}).use(openAIErrors(() => rt?.log));

export const handler = async (event: APIGatewayProxyEvent, context: Context): Promise<APIGatewayProxyResult> =>
  toProxyResult(await inner(event, context));
