/**
 * The admin routes (/admin/*: accounts, keys, limits, usage, statements, support and the
 * data-subject rights on behalf of an account), authorized as `operator`, served by the admin
 * function. The key holder's own privacy routes are in privacy-routes.ts.
 */

import { jobView } from '../core/erasure-job';
import { USAGE_GROUPINGS, type UsageGrouping } from '../core/usage-report';
import { RouterError } from '../domain/errors';
import { query } from './http';
import { jsonResult } from './http-result';
import { defineRoute, jsonBody, optionalJsonBody } from './resolve';

const GROUPS: readonly UsageGrouping[] = USAGE_GROUPINGS;
const today = () => new Date().toISOString().slice(0, 10);

/** `{"on": boolean}`, default true (restrict, object). */
export const flag = optionalJsonBody((raw) => {
  const on = (raw as { on?: unknown }).on ?? true;
  if (typeof on !== 'boolean') throw RouterError.invalidRequest('on must be true or false.', 'on');
  return on;
});

const limitsBody = jsonBody((raw) => (raw as { limits?: unknown }).limits ?? {});

export const adminRoutes = [
  defineRoute({
    method: 'POST',
    path: '/admin/accounts',
    fn: 'admin',
    auth: 'operator',
    body: jsonBody(),
    handle: async ({ rt, body }) => jsonResult(201, await rt.accounts.createAccount(body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/accounts',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt }) => jsonResult(200, { data: await rt.accounts.listAccounts() }),
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/accounts/:id',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(200, await rt.accounts.getAccount(params.id)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/admin/accounts/:id',
    fn: 'admin',
    auth: 'operator',
    body: jsonBody(),
    handle: async ({ rt, params, body }) => jsonResult(200, await rt.accounts.updateAccount(params.id, body)),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/accounts/:id/close',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(200, await rt.accounts.closeAccount(params.id)),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/accounts/:id/keys',
    fn: 'admin',
    auth: 'operator',
    body: optionalJsonBody(),
    handle: async ({ rt, params, body }) => jsonResult(201, await rt.accounts.createKey(params.id, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/accounts/:id/keys',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(200, { data: await rt.accounts.listKeys(params.id) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/keys/:keyId/revoke',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(200, await rt.accounts.revokeKey(params.keyId)),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/keys/:keyId/rotate',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(201, await rt.accounts.rotateKey(params.keyId)),
  }),
  defineRoute({
    method: 'PATCH',
    path: '/admin/keys/:keyId',
    fn: 'admin',
    auth: 'operator',
    body: limitsBody,
    handle: async ({ rt, params, body }) => jsonResult(200, await rt.accounts.setKeyLimits(params.keyId, body)),
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/accounts/:id/usage',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params, event }) => {
      const by = (query(event, 'by') ?? 'day') as UsageGrouping;
      if (!GROUPS.includes(by)) throw RouterError.invalidRequest(`by must be one of ${GROUPS.join(', ')}.`, 'by');
      const to = query(event, 'to') ?? today();
      const from = query(event, 'from') ?? `${to.slice(0, 8)}01`;
      return jsonResult(200, { data: await rt.accounts.usage(params.id, { from, to, by, keyId: query(event, 'key') }) });
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/accounts/:id/statements/:month',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(200, await rt.accounts.statement(params.id, params.month)),
  }),
  // Support communications, kept until resolved (§8).
  defineRoute({
    method: 'GET',
    path: '/admin/accounts/:id/support',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(200, { data: await rt.support.list(params.id) }),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/accounts/:id/support',
    fn: 'admin',
    auth: 'operator',
    body: jsonBody(),
    handle: async ({ rt, params, body }) =>
      jsonResult(201, await rt.support.open((await rt.accounts.getAccount(params.id)).accountId, body)),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/accounts/:id/support/:ticket',
    fn: 'admin',
    auth: 'operator',
    body: jsonBody(),
    handle: async ({ rt, params, body }) => jsonResult(200, await rt.support.reply(params.id, params.ticket, body)),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/accounts/:id/support/:ticket/resolve',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(200, await rt.support.resolve(params.id, params.ticket)),
  }),
  // Data-subject rights (§6), on behalf of the account.
  defineRoute({
    method: 'GET',
    path: '/admin/accounts/:id/export',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(200, await rt.privacy.exportAccount(params.id, 'operator')),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/accounts/:id/correct',
    fn: 'admin',
    auth: 'operator',
    body: jsonBody(),
    handle: async ({ rt, params, body }) => jsonResult(200, await rt.privacy.correct(params.id, body, 'operator')),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/accounts/:id/restrict',
    fn: 'admin',
    auth: 'operator',
    body: flag,
    handle: async ({ rt, params, body }) => jsonResult(200, await rt.privacy.restrict(params.id, body, 'operator')),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/accounts/:id/object',
    fn: 'admin',
    auth: 'operator',
    body: flag,
    handle: async ({ rt, params, body }) => jsonResult(200, await rt.privacy.object(params.id, body, 'operator')),
  }),
  defineRoute({
    method: 'POST',
    path: '/admin/accounts/:id/erase',
    fn: 'admin',
    auth: 'operator',
    // 202: the account is marked erased now; its data is deleted by a job (GET the job for its status).
    handle: async ({ rt, params }) => jsonResult(202, jobView(await rt.erasureJobs.start(params.id, 'operator'))),
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/erasure-jobs/:jobId',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(200, jobView(await rt.erasureJobs.get(params.jobId))),
  }),
  defineRoute({
    method: 'GET',
    path: '/admin/accounts/:id/privacy-requests',
    fn: 'admin',
    auth: 'operator',
    handle: async ({ rt, params }) => jsonResult(200, { data: await rt.privacy.auditTrail(params.id) }),
  }),
];
