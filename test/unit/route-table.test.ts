/**
 * The route table and its middleware chain, called in-process (no sockets): 404/405 from the
 * table, path parameters, decoding errors as 400s, the order of the middleware, and the error
 * dialects. The routes' behaviour over real sockets is in test/integration.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it, vi } from 'vitest';
import { Authenticator } from '../../lambdas/core/auth';
import type { Logger } from '../../lambdas/core/log';
import { RouterError } from '../../lambdas/domain/errors';
import { httpErrorOf } from '../../lambdas/handlers/http-errors';
import { jsonResult } from '../../lambdas/handlers/http-result';
import type { OperatorTrust } from '../../lambdas/handlers/middleware';
import { createResolver, defineRoute, jsonBody, type RouteInput } from '../../lambdas/handlers/resolve';
import { RouteTable } from '../../lambdas/handlers/route-table';
import { routeTable } from '../../lambdas/handlers/routes';
import type { Runtime } from '../../lambdas/handlers/runtime';
import { apiGatewayEvent } from '../helpers/api-event';

const KEY = 'sk-ctr-good';
const caller = { accountId: 'acct-1', keyId: 'key-1' };

const event = apiGatewayEvent;

const bearer = { authorization: `Bearer ${KEY}` };

/** A runtime with only what the middleware touches: authenticators and a logger. */
function fakeRuntime(logged: string[] = []): Runtime {
  const resolveKey = async (secret: string) => (secret === KEY ? caller : undefined);
  const log: Logger = { log: (level, message, fields) => logged.push(JSON.stringify({ level, message, ...fields })) };
  const config = { cors: { allowOrigins: [], maxAgeSeconds: 600 } };
  return { config, auth: new Authenticator(resolveKey), privacyAuth: new Authenticator(resolveKey), log } as unknown as Runtime;
}

/** A small table exercising every middleware; `seen` records what the routes received. */
function testTable(seen: unknown[] = []) {
  return new RouteTable<RouteInput>([
    defineRoute({ method: 'GET', path: '/v1/open', fn: 'api', auth: 'none', handle: () => jsonResult(200, { ok: true }) }),
    defineRoute({
      method: 'GET',
      path: '/v1/items/:id/parts/:rest+',
      fn: 'api',
      auth: 'none',
      handle: ({ params }) => jsonResult(200, params),
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/items',
      fn: 'api',
      auth: 'key',
      body: jsonBody((raw) => {
        const n = (raw as { n?: unknown }).n;
        if (typeof n !== 'number') throw RouterError.invalidRequest('n must be a number.', 'n');
        return n;
      }),
      handle: ({ body, caller: c, signal }) => {
        seen.push({ n: body * 2, accountId: c.accountId, signal });
        return jsonResult(201, { n: body * 2 });
      },
    }),
    defineRoute({
      method: 'POST',
      path: '/v1/anthropic',
      fn: 'chat',
      auth: 'anthropic-key',
      dialect: 'anthropic',
      body: jsonBody(),
      handle: () => jsonResult(200, {}),
    }),
    defineRoute({ method: 'GET', path: '/admin/thing', fn: 'admin', auth: 'operator', handle: () => jsonResult(200, { admin: true }) }),
    defineRoute({
      method: 'GET',
      path: '/v1/boom',
      fn: 'api',
      auth: 'none',
      handle: () => {
        throw new TypeError('secret prompt text');
      },
    }),
  ]);
}

async function call(
  ev: APIGatewayProxyEvent,
  options: { table?: RouteTable<RouteInput>; operator?: OperatorTrust; runtime?: () => Promise<Runtime>; signal?: AbortSignal } = {},
) {
  const resolve = createResolver(options.table ?? testTable(), {
    runtime: options.runtime ?? (async () => fakeRuntime()),
    operator: options.operator,
  });
  const result = await resolve(ev, {} as Context, options.signal ?? new AbortController().signal);
  return { status: result.status, headers: result.headers, body: JSON.parse(result.body as string) };
}

describe('route table: matching', () => {
  it('answers 404 for an unknown path and 405 for a known path with another method', async () => {
    const missing = await call(event('GET', '/v1/nothing'));
    expect(missing.status).toBe(404);
    expect(missing.body.error).toMatchObject({ code: 'unknown_route', type: 'invalid_request_error' });
    const wrongMethod = await call(event('DELETE', '/v1/items'));
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.body.error.code).toBe('method_not_allowed');
  });

  it('passes decoded path parameters; `:name+` takes the rest of the path', async () => {
    const res = await call(event('GET', '/v1/items/a%20b/parts/acme/llama-3'));
    expect(res).toMatchObject({ status: 200, body: { id: 'a b', rest: 'acme/llama-3' } });
  });

  it('ignores repeated and trailing slashes', async () => {
    expect((await call(event('GET', '//v1//open/'))).status).toBe(200);
  });

  it('answers a malformed %-escape with a 400, not a 500', async () => {
    const res = await call(event('GET', '/v1/items/%E0%A4%A/parts/x'));
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_path');
  });

  it('a Lambda entry serves only its own routes', async () => {
    const apiOnly = testTable().only('api');
    expect((await call(event('GET', '/admin/thing'), { table: apiOnly })).status).toBe(404);
    expect((await call(event('GET', '/v1/open'), { table: apiOnly })).status).toBe(200);
  });

  it('each Lambda entry serves exactly its function slice of the one table', async () => {
    // The chat entry builds a response-streaming handler on import: give it the runtime's global.
    vi.stubGlobal('awslambda', { streamifyResponse: (fn: unknown) => fn, HttpResponseStream: { from: (s: unknown) => s } });
    try {
      for (const fn of ['chat', 'api', 'admin', 'privacy'] as const) {
        const entry = (await import(`../../lambdas/handlers/${fn}.ts`)) as { routes: RouteTable<RouteInput> };
        expect(entry.routes.routes, fn).toEqual(routeTable.only(fn).routes);
      }
    } finally {
      vi.unstubAllGlobals();
    }
  });

  it('tells the local server which deployed function serves a request', () => {
    expect(routeTable.functionFor('POST', '/v1/chat/completions')).toBe('chat');
    expect(routeTable.functionFor('POST', '/v1/messages')).toBe('chat');
    expect(routeTable.functionFor('GET', '/v1/chat/completions')).toBe('chat'); // which answers 405
    expect(routeTable.functionFor('GET', '/v1/models/acme/llama')).toBe('api');
    expect(routeTable.functionFor('POST', '/v1/embeddings')).toBe('chat'); // streamed: metered after the answer
    expect(routeTable.functionFor('GET', '/v1/privacy/export')).toBe('privacy');
    expect(routeTable.functionFor('POST', '/admin/accounts/a/keys')).toBe('admin');
    expect(routeTable.functionFor('GET', '/nothing-here')).toBe('api'); // which answers 404
  });
});

describe('route table: middleware order', () => {
  it('matches before loading the runtime: a 404 costs no cold start', async () => {
    const runtime = vi.fn(async () => fakeRuntime());
    expect((await call(event('GET', '/v1/nothing'), { runtime })).status).toBe(404);
    expect(runtime).not.toHaveBeenCalled();
  });

  it('authenticates before reading the body: no key and a bad body is a 401', async () => {
    const res = await call(event('POST', '/v1/items', { body: '{not json' }));
    expect(res.status).toBe(401);
    expect(res.body.error.type).toBe('authentication_error');
  });

  it('parses then validates the body: malformed JSON and invalid values are 400s that never quote the body', async () => {
    const badJson = await call(event('POST', '/v1/items', { body: '{"secret prompt', headers: bearer }));
    expect(badJson).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    const empty = await call(event('POST', '/v1/items', { headers: bearer }));
    expect(empty).toMatchObject({ status: 400, body: { error: { code: 'invalid_json' } } });
    const invalid = await call(event('POST', '/v1/items', { body: '{"n":"secret prompt"}', headers: bearer }));
    expect(invalid).toMatchObject({ status: 400, body: { error: { param: 'n' } } });
    expect(JSON.stringify([badJson, invalid])).not.toContain('secret prompt');
  });

  it('hands the route its typed body, its caller and the client signal', async () => {
    const seen: Array<{ n: number; accountId: string; signal: AbortSignal }> = [];
    const client = new AbortController();
    const res = await call(event('POST', '/v1/items', { body: '{"n":21}', headers: bearer }), {
      table: testTable(seen),
      signal: client.signal,
    });
    expect(res).toMatchObject({ status: 201, body: { n: 42 } });
    expect(seen[0]).toMatchObject({ n: 42, accountId: 'acct-1' });
    expect(seen[0]!.signal).toBe(client.signal);
  });

  it('operator routes: trusted as IAM-authorized in the cloud, loopback-only locally', async () => {
    expect((await call(event('GET', '/admin/thing'))).status).toBe(200);
    const remote = await call(event('GET', '/admin/thing'), { operator: 'loopback' });
    expect(remote).toMatchObject({ status: 403, body: { error: { code: 'admin_loopback_only' } } });
    expect((await call(event('GET', '/admin/thing', { sourceIp: '127.0.0.1' }), { operator: 'loopback' })).status).toBe(200);
  });
});

describe('route table: errors, mapped once', () => {
  it('answers in the route dialect: Anthropic shape on Anthropic routes, 405 included', async () => {
    const noKey = await call(event('POST', '/v1/anthropic', { body: '{}' }));
    expect(noKey).toMatchObject({ status: 401, body: { type: 'error', error: { type: 'authentication_error' } } });
    expect(noKey.body.error.message).toContain('x-api-key');
    const xApiKey = await call(event('POST', '/v1/anthropic', { body: '{}', headers: { 'x-api-key': KEY } }));
    expect(xApiKey.status).toBe(200);
    const wrongMethod = await call(event('GET', '/v1/anthropic'));
    expect(wrongMethod).toMatchObject({ status: 405, body: { type: 'error', error: { type: 'invalid_request_error' } } });
  });

  it('an unexpected error is a generic 500, logged by name only', async () => {
    const logged: string[] = [];
    const res = await call(event('GET', '/v1/boom'), { runtime: async () => fakeRuntime(logged) });
    expect(res).toMatchObject({ status: 500, body: { error: { type: 'api_error', code: 'internal_error' } } });
    expect(logged).toHaveLength(1);
    expect(JSON.parse(logged[0]!)).toMatchObject({ level: 'error', errorName: 'TypeError', route: '/v1/boom' });
    expect(JSON.stringify([res, logged])).not.toContain('secret prompt');
  });

  it('httpErrorOf keeps the error headers and copies the request id for Anthropic clients', () => {
    const err = new RouterError('rate_limited', 'Slow down.', { code: 'rate_limited', retryAfterSeconds: 2, requestId: 'req_1' });
    expect(httpErrorOf(err)).toEqual({
      status: 429,
      headers: { 'content-type': 'application/json', 'retry-after': '2', 'x-request-id': 'req_1' },
      body: JSON.stringify({ error: { message: 'Slow down.', type: 'rate_limit_error', param: null, code: 'rate_limited' } }),
    });
    const anthropic = httpErrorOf(err, 'anthropic');
    expect(anthropic.headers['request-id']).toBe('req_1');
    expect(JSON.parse(anthropic.body)).toEqual({ type: 'error', error: { type: 'rate_limit_error', message: 'Slow down.' } });
  });
});
