/**
 * The one place where failures become HTTP: each domain error kind gets its status, OpenAI error
 * type and headers here (`retry-after`, OpenAI's `x-ratelimit-*`, `x-request-id`), rendered in the
 * dialect of the route that failed: OpenAI's `{"error":{…}}` everywhere, Anthropic's
 * `{"type":"error","error":{…}}` on /v1/messages. Core, store and providers never build a status or
 * a header. Messages never contain request or response content.
 */
import type { Logger } from '../core/log';
import { errorTypeOut } from '../core/messages-inbound/tables';
import { type ErrorKind, type RateLimitState, RouterError, toRouterError } from '../domain/errors';
import type { ErrorBody, ErrorType } from '../domain/openai';
import type { HttpResult } from './http-result';

/** Status and OpenAI error type of each kind of failure. */
export const HTTP_OF_KIND: Readonly<Record<ErrorKind, readonly [status: number, type: ErrorType]>> = {
  invalid_request: [400, 'invalid_request_error'],
  unsupported_by_offer: [400, 'invalid_request_error'],
  no_eligible_offer: [400, 'invalid_request_error'],
  too_large: [413, 'invalid_request_error'],
  unauthorized: [401, 'authentication_error'],
  forbidden: [403, 'permission_error'],
  not_found: [404, 'invalid_request_error'],
  method_not_allowed: [405, 'invalid_request_error'],
  conflict: [409, 'invalid_request_error'],
  rate_limited: [429, 'rate_limit_error'],
  budget_exceeded: [429, 'insufficient_quota'],
  upstream_rejected: [502, 'invalid_request_error'],
  upstream_failed: [502, 'upstream_error'],
  unavailable: [503, 'api_error'],
  internal: [500, 'api_error'],
};

/** OpenAI's `x-ratelimit-*` headers for the rate windows that applied to a request. */
export function rateLimitHeaders(state: RateLimitState | undefined): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [unit, w] of [
    ['requests', state?.requests],
    ['tokens', state?.tokens],
  ] as const) {
    if (!w) continue;
    headers[`x-ratelimit-limit-${unit}`] = String(w.limit);
    if (w.remaining !== undefined) headers[`x-ratelimit-remaining-${unit}`] = String(Math.max(0, w.remaining));
    headers[`x-ratelimit-reset-${unit}`] = `${w.resetSeconds}s`;
  }
  return headers;
}

/** The status of an error: an upstream's own request error (4xx) keeps its status. */
export function statusOf(err: RouterError): number {
  const upstream = err.details.upstreamStatus;
  if (err.kind === 'upstream_rejected' && upstream !== undefined && upstream >= 400 && upstream < 500) return upstream;
  return HTTP_OF_KIND[err.kind][0];
}

function headersOf(err: RouterError): Record<string, string> {
  const d = err.details;
  return {
    'content-type': 'application/json',
    ...(d.retryAfterSeconds !== undefined ? { 'retry-after': String(d.retryAfterSeconds) } : {}),
    ...rateLimitHeaders(d.rateLimit),
    ...(d.requestId ? { 'x-request-id': d.requestId } : {}),
  };
}

/** The error body shape a route speaks. */
export type ErrorDialect = 'openai' | 'anthropic';

/** A rendered error response. */
export interface HttpErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/** The OpenAI-format body of an error: an upstream's own request error keeps its own object. */
export function openAIErrorBody(err: RouterError): ErrorBody {
  const upstream = err.kind === 'upstream_rejected' ? err.details.upstreamError : undefined;
  return upstream
    ? { error: { message: upstream.message, type: upstream.type as ErrorType, param: upstream.param, code: upstream.code } }
    : { error: { message: err.message, type: HTTP_OF_KIND[err.kind][1], param: err.param, code: err.code } };
}

/**
 * Maps any thrown value to the response the client gets, in the route's dialect. Unexpected values
 * become a generic 500 that says nothing of the request (never a stack trace, never content).
 *
 * @example
 * httpErrorOf(RouterError.unauthorized()).status // 401, body {"error":{"type":"authentication_error",…}}
 * httpErrorOf(RouterError.unauthorized(), 'anthropic').body // '{"type":"error","error":{"type":"authentication_error",…}}'
 */
export function httpErrorOf(thrown: unknown, dialect: ErrorDialect = 'openai'): HttpErrorResponse {
  const err = toRouterError(thrown);
  const status = statusOf(err);
  const headers = headersOf(err);
  const body = openAIErrorBody(err);
  if (dialect === 'openai') return { status, headers, body: JSON.stringify(body) };
  // Anthropic's SDKs read the request id from `request-id`.
  if (err.details.requestId) headers['request-id'] = err.details.requestId;
  return { status, headers, body: JSON.stringify({ type: 'error', error: { type: errorTypeOut(status), message: body.error.message } }) };
}

/** True when the error was not raised on purpose (it is logged, by name only). */
export const isUnexpected = (err: unknown): boolean => !(err instanceof RouterError);

/**
 * `httpErrorOf` as an HttpResult; an unexpected error is logged by name and route only, never
 * with its message (which might quote a request).
 */
export function errorResult(
  err: unknown,
  dialect: ErrorDialect,
  log: Logger,
  fields: { route?: string; requestId?: string } = {},
): HttpResult {
  if (isUnexpected(err)) log.log('error', 'unhandled error', { ...fields, errorName: (err as Error)?.name ?? typeof err });
  const response = httpErrorOf(err, dialect);
  // A refusal before the router's own request id exists (a bad key, a malformed body) still carries
  // one: the invocation's (API Gateway's request id), so the caller can quote it.
  if (fields.requestId && !response.headers['x-request-id']) {
    response.headers['x-request-id'] = fields.requestId;
    if (dialect === 'anthropic') response.headers['request-id'] = fields.requestId;
  }
  return response;
}
