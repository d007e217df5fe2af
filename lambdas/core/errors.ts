/**
 * OpenAI-format API errors. Every error the router returns has the shape
 * `{"error":{"message","type","param","code"}}` and a 4xx/5xx status; messages never
 * contain request or response content.
 */

export type ErrorType =
  | 'invalid_request_error'
  | 'authentication_error'
  | 'permission_error'
  | 'not_found_error'
  | 'rate_limit_error'
  | 'insufficient_quota'
  | 'api_error'
  | 'upstream_error';

export interface ErrorBody {
  error: { message: string; type: ErrorType; param: string | null; code: string | null; metadata?: Record<string, unknown> };
}

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly status: number,
    message: string,
    readonly type: ErrorType,
    readonly param: string | null = null,
    readonly code: string | null = null,
    readonly headers: Record<string, string> = {},
    /** A body to return instead of the generated one (an upstream's own 4xx error). */
    readonly bodyOverride?: ErrorBody,
  ) {
    super(message);
  }

  toBody(): ErrorBody {
    return this.bodyOverride ?? { error: { message: this.message, type: this.type, param: this.param, code: this.code } };
  }

  static invalidRequest(message: string, param: string | null = null, code: string | null = 'invalid_value'): ApiError {
    return new ApiError(400, message, 'invalid_request_error', param, code);
  }

  static unauthorized(message = 'Invalid API key. Pass a key created with `ctr keys create` as "Authorization: Bearer <key>".'): ApiError {
    return new ApiError(401, message, 'authentication_error', null, 'invalid_api_key');
  }

  static notFound(message: string, param: string | null = null, code = 'not_found'): ApiError {
    return new ApiError(404, message, 'invalid_request_error', param, code);
  }
}

/** Any thrown value as an ApiError; unexpected errors become a generic 500 without details. */
export function toApiError(err: unknown): ApiError {
  if (err instanceof ApiError) return err;
  // The store's StoreUnavailable (store/errors.ts), matched by name so core imports nothing of the store.
  if ((err as Error | undefined)?.name === 'StoreUnavailable')
    return new ApiError(503, 'The router is temporarily unavailable; retry shortly.', 'api_error', null, 'store_unavailable', { 'retry-after': '2' });
  return new ApiError(500, 'The router failed to process the request.', 'api_error', null, 'internal_error');
}
