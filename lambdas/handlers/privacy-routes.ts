/**
 * The key holder's own privacy routes (/v1/privacy/*, §6): the account comes from the API key,
 * never from the request. Served by the privacy function, whose grants cover only these rights.
 */

import { jobView } from '../core/erasure-job';
import { RouterError } from '../domain/errors';
import { flag } from './admin-routes';
import { jsonResult } from './http-result';
import { defineRoute, jsonBody, optionalJsonBody } from './resolve';

/** The key holder's own rights (§6): a restricted account may still exercise them. */
export const privacyRoutes = [
  defineRoute({
    method: 'GET',
    path: '/v1/privacy/export',
    fn: 'privacy',
    auth: 'key-holder',
    handle: async ({ rt, caller }) => jsonResult(200, await rt.privacy.exportAccount(caller.accountId, 'key-holder')),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/privacy/correct',
    fn: 'privacy',
    auth: 'key-holder',
    body: jsonBody(),
    handle: async ({ rt, caller, body }) => jsonResult(200, await rt.privacy.correct(caller.accountId, body, 'key-holder')),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/privacy/restrict',
    fn: 'privacy',
    auth: 'key-holder',
    body: flag,
    handle: async ({ rt, caller, body }) => jsonResult(200, await rt.privacy.restrict(caller.accountId, body, 'key-holder')),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/privacy/object',
    fn: 'privacy',
    auth: 'key-holder',
    body: flag,
    handle: async ({ rt, caller, body }) => jsonResult(200, await rt.privacy.object(caller.accountId, body, 'key-holder')),
  }),
  defineRoute({
    method: 'POST',
    path: '/v1/privacy/erase',
    fn: 'privacy',
    auth: 'key-holder',
    body: optionalJsonBody((raw) => (raw as { confirm?: unknown }).confirm),
    handle: async ({ rt, caller, body: confirm }) => {
      // Erasure cannot be undone: the caller confirms by naming its account.
      if (confirm !== caller.accountId)
        throw RouterError.invalidRequest(
          'To erase this account, send {"confirm": "<your account id>"}.',
          'confirm',
          'confirmation_required',
        );
      return jsonResult(202, jobView(await rt.erasureJobs.start(caller.accountId, 'key-holder')));
    },
  }),
  defineRoute({
    method: 'GET',
    path: '/v1/privacy/erasure-jobs/:jobId',
    fn: 'privacy',
    // The erased account's keys are gone by now: the job id (a random UUID, given only to the caller
    // that started it) is the capability. The answer holds status and counts, not the account id.
    auth: 'none',
    handle: async ({ rt, params }) => {
      const { accountId: _a, ...view } = jobView(await rt.erasureJobs.get(params.jobId));
      return jsonResult(200, view);
    },
  }),
];
