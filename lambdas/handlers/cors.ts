/**
 * Cross-origin access for browser apps, from the origins the config lists (`cors.allowOrigins`):
 * preflights answered before authentication, and the CORS headers on every answer of a route that
 * allows it (errors and streams included). Only the chat and api functions' routes (inference, models,
 * the key holder's page and its reads) allow it; the admin and privacy routes never do, whatever the
 * config says. An origin not listed gets no CORS header, so the browser keeps the answer from the page.
 * Part of the one middleware chain (resolve.ts), so the local server and Lambda behave the same.
 */
import type middy from '@middy/core';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import type { RouterConfig } from '../core/config';
import { RouterError } from '../domain/errors';
import { header } from './http';
import type { HttpResult } from './http-result';
import type { RouteRequest } from './middleware';
import type { Route, RouteTable } from './route-table';
import type { Runtime } from './runtime';

/** The deployed functions whose routes a browser page may call cross-origin. */
export const CORS_FUNCTIONS: ReadonlySet<Route['fn']> = new Set(['chat', 'api']);

/** Whether a route may be called cross-origin (never admin, never the privacy rights). */
export const corsAllowedOn = (route: Pick<Route, 'fn'>): boolean => CORS_FUNCTIONS.has(route.fn);

/**
 * Request headers a page may send (lower case): what the official SDKs send from a browser (OpenAI's
 * and Anthropic's, including their `x-stainless-*` telemetry headers, matched by prefix), the
 * OpenRouter attribution headers, and the plain ones.
 */
export const CORS_REQUEST_HEADERS: ReadonlySet<string> = new Set([
  'accept',
  'authorization',
  'content-type',
  'x-api-key',
  'anthropic-version',
  'anthropic-beta',
  'anthropic-dangerous-direct-browser-access',
  'openai-organization',
  'openai-project',
  'openai-beta',
  'idempotency-key',
  'http-referer',
  'x-title',
]);
const CORS_REQUEST_HEADER_PREFIXES = ['x-stainless-'] as const;

/** Whether a page may send this request header. */
export function corsHeaderAllowed(name: string): boolean {
  const lower = name.trim().toLowerCase();
  return CORS_REQUEST_HEADERS.has(lower) || CORS_REQUEST_HEADER_PREFIXES.some((p) => lower.startsWith(p));
}

/** Response headers a page may read: request ids, rate limits, what served the request and its cost. */
export const CORS_EXPOSED_HEADERS: readonly string[] = [
  'x-request-id',
  'request-id',
  'retry-after',
  'x-ratelimit-limit-requests',
  'x-ratelimit-remaining-requests',
  'x-ratelimit-reset-requests',
  'x-ratelimit-limit-tokens',
  'x-ratelimit-remaining-tokens',
  'x-ratelimit-reset-tokens',
  'x-ctr-provider',
  'x-ctr-model',
  'x-ctr-upstream-model',
  'x-ctr-attempts',
  'x-ctr-cost-usd',
  'server-timing',
];

/** The page's origin when the config lists it. */
export function allowedOrigin(event: Pick<APIGatewayProxyEvent, 'headers'>, cors: RouterConfig['cors']): string | undefined {
  const origin = header(event, 'origin');
  return origin !== undefined && cors.allowOrigins.includes(origin) ? origin : undefined;
}

/** True for a CORS preflight: OPTIONS with `Origin` and `Access-Control-Request-Method`. */
export function isPreflight(event: Pick<APIGatewayProxyEvent, 'httpMethod' | 'headers'>): boolean {
  return (
    event.httpMethod === 'OPTIONS' && header(event, 'origin') !== undefined && header(event, 'access-control-request-method') !== undefined
  );
}

/**
 * The answer to a preflight on a path whose routes allow CORS: 204 with the path's methods, the
 * requested headers the router accepts (a header it does not is left out, so the browser refuses),
 * and how long the answer may be cached. An origin not listed is a 403 without CORS headers.
 *
 * @example
 * preflight(event, ['POST'], { allowOrigins: ['https://app.example'], maxAgeSeconds: 600 }).status // 204
 */
export function preflight(
  event: Pick<APIGatewayProxyEvent, 'headers'>,
  methods: readonly string[],
  cors: RouterConfig['cors'],
): HttpResult {
  const origin = allowedOrigin(event, cors);
  if (!origin) throw RouterError.forbidden("This page's origin is not in the router's cors.allowOrigins.", 'cors_origin_not_allowed');
  const requested = (header(event, 'access-control-request-headers') ?? '')
    .split(',')
    .map((h) => h.trim().toLowerCase())
    .filter((h) => h.length > 0 && corsHeaderAllowed(h));
  return {
    status: 204,
    headers: {
      'access-control-allow-origin': origin,
      'access-control-allow-methods': [...new Set(methods)].join(', '),
      ...(requested.length ? { 'access-control-allow-headers': [...new Set(requested)].join(', ') } : {}),
      'access-control-max-age': String(cors.maxAgeSeconds),
      vary: 'Origin, Access-Control-Request-Method, Access-Control-Request-Headers',
    },
    body: '',
  };
}

/** Adds the CORS headers of an actual answer: the origin (when listed), what the page may read, and `Vary: Origin`. */
export function withCorsHeaders(result: HttpResult, event: Pick<APIGatewayProxyEvent, 'headers'>, cors: RouterConfig['cors']): HttpResult {
  if (!cors.allowOrigins.length) return result;
  const origin = allowedOrigin(event, cors);
  const vary = result.headers.vary ? `${result.headers.vary}, Origin` : 'Origin';
  result.headers = {
    ...result.headers,
    vary,
    ...(origin ? { 'access-control-allow-origin': origin, 'access-control-expose-headers': CORS_EXPOSED_HEADERS.join(', ') } : {}),
  };
  return result;
}

type CorsMiddleware<I> = middy.MiddlewareObj<RouteRequest<I>, HttpResult, Error, Context>;

/**
 * The CORS step of the chain: answers a preflight on a CORS path before the route is matched or
 * anyone authenticated (an early response), and adds the headers to every answer (`after`, and
 * `onError` once the errors step has rendered the error). Placed before `errors` in the chain, so
 * its `onError` runs after that one.
 */
export function cors<I>(table: RouteTable<I>, load: () => Promise<Runtime>): CorsMiddleware<I> {
  const corsRoutesOn = (req: RouteRequest<I>) =>
    req.match ? (corsAllowedOn(req.match.route) ? [req.match.route] : []) : table.routesOn(req.event.path ?? '/').filter(corsAllowedOn);
  const decorate = async (req: RouteRequest<I>, response: HttpResult | null | undefined) => {
    if (!response || !corsRoutesOn(req).length) return;
    // The runtime is built by now unless building it failed (then there is no config to follow).
    const rt = req.rt ?? (await load().catch(() => undefined));
    if (rt) withCorsHeaders(response, req.event, rt.config.cors);
  };
  return {
    before: async (request) => {
      const req = request.event;
      if (!isPreflight(req.event)) return;
      const routes = table.routesOn(req.event.path ?? '/');
      if (!routes.length || !routes.every(corsAllowedOn)) return;
      req.rt = await load();
      return preflight(
        req.event,
        routes.map((r) => r.method),
        req.rt.config.cors,
      );
    },
    after: (request) => decorate(request.event, request.response),
    onError: (request) => decorate(request.event, request.response),
  };
}
