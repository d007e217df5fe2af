/**
 * The one place where a thrown value becomes an HTTP error response (status, headers, body), in
 * the dialect of the route that failed: OpenAI's `{"error":{…}}` everywhere, Anthropic's
 * `{"type":"error","error":{…}}` on /v1/messages. Core and store throw; only this edge decides
 * statuses and headers. New domain errors get their case in `httpErrorOf`.
 */
import { ApiError, toApiError } from '../core/errors';
import type { HttpResult } from '../core/http';
import type { Logger } from '../core/log';
import { anthropicErrorBody } from '../core/messages-inbound/errors';

/** The error body shape a route speaks. */
export type ErrorDialect = 'openai' | 'anthropic';

/** A rendered error response. */
export interface HttpErrorResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * Maps any thrown value to the response the client gets. Unexpected values become a generic 500
 * that says nothing of the request (never a stack trace, never content).
 *
 * @example
 * httpErrorOf(ApiError.unauthorized()) // { status: 401, headers: { 'content-type': 'application/json' }, body: '{"error":{…}}' }
 * httpErrorOf(ApiError.unauthorized(), 'anthropic').body // '{"type":"error","error":{"type":"authentication_error",…}}'
 */
export function httpErrorOf(err: unknown, dialect: ErrorDialect = 'openai'): HttpErrorResponse {
  const e = toApiError(err);
  const headers: Record<string, string> = { 'content-type': 'application/json', ...e.headers };
  if (dialect === 'openai') return { status: e.status, headers, body: JSON.stringify(e.toBody()) };
  // Anthropic's SDKs read the request id from `request-id`.
  const requestId = e.headers['x-request-id'];
  if (requestId) headers['request-id'] = requestId;
  return { status: e.status, headers, body: JSON.stringify(anthropicErrorBody(e)) };
}

/** True when the error was not raised on purpose (it is logged, by name only). */
export const isUnexpected = (err: unknown): boolean => !(err instanceof ApiError);

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
  return httpErrorOf(err, dialect);
}
