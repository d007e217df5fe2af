/**
 * Errors of the Anthropic-compatible route in Anthropic's shape,
 * `{"type":"error","error":{"type","message"}}`, with the same status codes as the OpenAI routes.
 */
import { ApiError, toApiError } from '../errors';
import type { HttpResult } from '../http';
import { errorTypeOut } from './tables';

export interface AnthropicErrorBody {
  type: 'error';
  error: { type: string; message: string };
}

/** The Anthropic error body for an ApiError (an upstream's own 4xx message is kept, as on the OpenAI routes). */
export function anthropicErrorBody(err: ApiError): AnthropicErrorBody {
  return { type: 'error', error: { type: errorTypeOut(err.status), message: err.toBody().error.message } };
}

/**
 * Any thrown value as an Anthropic-shaped error response; unexpected errors become a generic 500.
 * Anthropic's SDKs read the request id from `request-id`.
 *
 * @example
 * anthropicErrorResult(ApiError.unauthorized()).status // 401, body {"type":"error","error":{"type":"authentication_error",…}}
 */
export function anthropicErrorResult(err: unknown): HttpResult {
  const apiError = toApiError(err);
  const requestId = apiError.headers['x-request-id'];
  return {
    status: apiError.status,
    headers: { 'content-type': 'application/json', ...apiError.headers, ...(requestId ? { 'request-id': requestId } : {}) },
    body: JSON.stringify(anthropicErrorBody(apiError)),
  };
}

/** The 401 for a request that carries neither `x-api-key` nor `Authorization: Bearer`. */
export function anthropicKeyMissing(): ApiError {
  return ApiError.unauthorized('Missing API key. Send "x-api-key: <key>" or "Authorization: Bearer <key>"; create a key with `npx ctr keys create`.');
}
