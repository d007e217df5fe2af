/**
 * CORS in the one middleware chain, called in-process: preflights on the inference and key-holder
 * routes are answered before authentication for a listed origin only; every answer of those routes
 * (errors and streams included) carries the origin and the headers a page may read; admin and the
 * privacy rights never get a CORS header. Over real sockets and from a browser: test/integration/cors.test.ts.
 */
import type { Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { Authenticator } from '../../lambdas/core/auth';
import type { RouterConfig } from '../../lambdas/core/config';
import type { Logger } from '../../lambdas/core/log';
import { corsHeaderAllowed } from '../../lambdas/handlers/cors';
import type { HttpResult } from '../../lambdas/handlers/http-result';
import { createResolver, defineRoute } from '../../lambdas/handlers/resolve';
import { RouteTable } from '../../lambdas/handlers/route-table';
import { routeTable } from '../../lambdas/handlers/routes';
import type { Runtime } from '../../lambdas/handlers/runtime';
import { apiGatewayEvent } from '../helpers/api-event';

const APP = 'https://app.example.com';
const KEY = 'sk-ctr-good';

function fakeRuntime(cors: RouterConfig['cors']): Runtime {
  const resolveKey = async (secret: string) => (secret === KEY ? { accountId: 'acct-1', keyId: 'key-1' } : undefined);
  const log: Logger = { log: () => undefined };
  return { config: { cors }, auth: new Authenticator(resolveKey), privacyAuth: new Authenticator(resolveKey), log } as unknown as Runtime;
}

const context = {} as Context;

function resolverFor(table: RouteTable<never> | typeof routeTable, allowOrigins: string[]) {
  const rt = fakeRuntime({ allowOrigins, maxAgeSeconds: 600 });
  const resolve = createResolver(table as typeof routeTable, { runtime: async () => rt, operator: 'loopback' });
  return (method: string, path: string, headers: Record<string, string> = {}) =>
    resolve(apiGatewayEvent(method, path, { headers, sourceIp: '127.0.0.1' }), context, new AbortController().signal);
}

const corsHeaders = (r: HttpResult) => Object.keys(r.headers).filter((h) => h.startsWith('access-control-'));

async function text(body: HttpResult['body']): Promise<string> {
  if (typeof body === 'string') return body;
  let out = '';
  for await (const piece of body) out += piece;
  return out;
}

/** A streamed route like chat's: the headers go out before the body. */
const streamTable = new RouteTable([
  defineRoute({
    method: 'POST',
    path: '/v1/stream',
    fn: 'chat',
    auth: 'key',
    handle: () => ({
      status: 200,
      headers: { 'content-type': 'text/event-stream', 'x-request-id': 'req-1' },
      body: (async function* () {
        yield 'data: 1\n\n';
        yield 'data: [DONE]\n\n';
      })(),
    }),
  }),
]);

const preflightHeaders = (origin: string, method = 'POST', requested = 'authorization, content-type') => ({
  Origin: origin,
  'Access-Control-Request-Method': method,
  'Access-Control-Request-Headers': requested,
});

describe('CORS preflight', () => {
  it('answers a listed origin without authentication: 204, the exact origin, methods, accepted headers, max age', async () => {
    // Prepare
    const call = resolverFor(routeTable, [APP, 'https://other.example.com']);

    // Act
    const r = await call(
      'OPTIONS',
      '/v1/chat/completions',
      preflightHeaders(APP, 'POST', 'authorization, content-type, x-stainless-retry-count, x-stainless-timeout, x-evil'),
    );

    // Assess
    expect(r.status).toBe(204);
    expect(r.headers['access-control-allow-origin']).toBe(APP);
    expect(r.headers.vary).toContain('Origin');
    expect(r.headers['access-control-allow-methods']).toBe('POST');
    expect(r.headers['access-control-allow-headers']!.split(', ')).toEqual([
      'authorization',
      'content-type',
      'x-stainless-retry-count',
      'x-stainless-timeout',
    ]);
    expect(r.headers['access-control-max-age']).toBe('600');
    expect(r.body).toBe('');
  });

  it.each(['/v1/messages', '/v1/embeddings', '/v1/models', '/v1/models/acme/llama', '/v1/key', '/v1/usage', '/v1/dashboard'])(
    'answers a listed origin on %s',
    async (path) => {
      // Prepare
      const call = resolverFor(routeTable, [APP]);

      // Act
      const r = await call('OPTIONS', path, preflightHeaders(APP, 'GET', 'x-api-key, anthropic-version'));

      // Assess
      expect(r.status).toBe(204);
      expect(r.headers['access-control-allow-origin']).toBe(APP);
    },
  );

  it('gives an origin not listed no CORS header', async () => {
    // Prepare
    const call = resolverFor(routeTable, [APP]);

    // Act
    const r = await call('OPTIONS', '/v1/chat/completions', preflightHeaders('https://evil.example.com'));

    // Assess
    expect(r.status).toBe(403);
    expect(corsHeaders(r)).toEqual([]);
    expect(JSON.parse(await text(r.body)).error.code).toBe('cors_origin_not_allowed');
  });

  it('allows no origin when the config lists none', async () => {
    // Prepare
    const call = resolverFor(routeTable, []);

    // Act
    const r = await call('OPTIONS', '/v1/chat/completions', preflightHeaders(APP));

    // Assess
    expect(r.status).toBe(403);
    expect(corsHeaders(r)).toEqual([]);
  });

  it.each(['/admin/accounts', '/admin/accounts/acct-1/export', '/v1/privacy/export', '/v1/privacy/erase'])(
    'never answers a preflight on %s, even for a listed origin',
    async (path) => {
      // Prepare
      const call = resolverFor(routeTable, [APP]);

      // Act
      const r = await call('OPTIONS', path, preflightHeaders(APP, 'POST'));

      // Assess
      expect(r.status).toBe(405);
      expect(corsHeaders(r)).toEqual([]);
    },
  );
});

describe('CORS headers on answers', () => {
  it('puts the origin and the readable headers on an error answer', async () => {
    // Prepare
    const call = resolverFor(routeTable, [APP]);

    // Act: no key, so authentication fails
    const r = await call('GET', '/v1/key', { origin: APP });

    // Assess
    expect(r.status).toBe(401);
    expect(r.headers['access-control-allow-origin']).toBe(APP);
    expect(r.headers['access-control-expose-headers']).toContain('x-request-id');
    expect(r.headers['access-control-expose-headers']).toContain('x-ratelimit-remaining-requests');
    expect(r.headers.vary).toBe('Origin');
  });

  it('puts them on a streamed answer before its body', async () => {
    // Prepare
    const call = resolverFor(streamTable as never, [APP]);

    // Act
    const r = await call('POST', '/v1/stream', { origin: APP, authorization: `Bearer ${KEY}` });

    // Assess
    expect(r.status).toBe(200);
    expect(r.headers['access-control-allow-origin']).toBe(APP);
    expect(r.headers['x-request-id']).toBe('req-1');
    expect(await text(r.body)).toBe('data: 1\n\ndata: [DONE]\n\n');
  });

  it('gives an origin not listed only Vary', async () => {
    // Prepare
    const call = resolverFor(routeTable, [APP]);

    // Act
    const r = await call('GET', '/v1/key', { origin: 'https://evil.example.com' });

    // Assess
    expect(r.status).toBe(401);
    expect(corsHeaders(r)).toEqual([]);
    expect(r.headers.vary).toBe('Origin');
  });

  it('never puts them on an admin answer', async () => {
    // Prepare
    const call = resolverFor(routeTable, [APP]);

    // Act
    const r = await call('GET', '/admin/accounts/acct-x', { origin: APP });

    // Assess
    expect(corsHeaders(r)).toEqual([]);
    expect(r.headers.vary).toBeUndefined();
  });
});

describe('request headers a page may send', () => {
  it.each([
    ['authorization', true],
    ['Content-Type', true],
    ['x-api-key', true],
    ['anthropic-version', true],
    ['anthropic-dangerous-direct-browser-access', true],
    ['x-stainless-package-version', true],
    ['cookie', false],
    ['x-forwarded-for', false],
  ] as const)('%s → %s', (name, allowed) => {
    expect(corsHeaderAllowed(name)).toBe(allowed);
  });
});
