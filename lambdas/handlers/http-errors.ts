/**
 * The one place where failures become HTTP: each domain error kind gets its status, OpenAI error
 * type and headers here (`retry-after`, OpenAI's `x-ratelimit-*`, `x-request-id`), rendered in
 * OpenAI's error shape or, for /v1/messages, Anthropic's. Core, store and providers never build a
 * status or a header. Messages never contain request or response content.
 */
import { errorTypeOut } from '../core/messages-inbound/tables';
import { type ErrorKind, type RateLimitState, type RouterError, toRouterError } from '../domain/errors';
import type { ErrorBody, ErrorType } from '../domain/openai';

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

/** An error as the edge answers it. */
export interface HttpError {
  status: number;
  headers: Record<string, string>;
  body: ErrorBody;
}

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

/**
 * Any thrown value as an OpenAI-format error response; unexpected errors become a generic 500
 * that says nothing of their cause.
 *
 * @example
 * httpErrorOf(RouterError.unauthorized()).status // 401
 */
export function httpErrorOf(thrown: unknown): HttpError {
  const err = toRouterError(thrown);
  const upstream = err.kind === 'upstream_rejected' ? err.details.upstreamError : undefined;
  const body: ErrorBody = upstream
    ? { error: { message: upstream.message, type: upstream.type as ErrorType, param: upstream.param, code: upstream.code } }
    : { error: { message: err.message, type: HTTP_OF_KIND[err.kind][1], param: err.param, code: err.code } };
  return { status: statusOf(err), headers: headersOf(err), body };
}

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/**
 * Any thrown value as an Anthropic-shaped error response (/v1/messages), with the same statuses as
 * the OpenAI routes. Anthropic's SDKs read the request id from `request-id`.
 */
export function anthropicErrorOf(thrown: unknown): { status: number; headers: Record<string, string>; body: AnthropicErrorBody } {
  const openai = httpErrorOf(thrown);
  const requestId = openai.headers['x-request-id'];
  return {
    status: openai.status,
    headers: { ...openai.headers, ...(requestId ? { 'request-id': requestId } : {}) },
    body: { type: 'error', error: { type: errorTypeOut(openai.status), message: openai.body.error.message } },
  };
}
