/**
 * Domain errors. Core, store and providers throw these; they say *what* went wrong, never how to
 * answer it: the HTTP status, headers and body shape (OpenAI or Anthropic) are chosen in one place
 * at the edge (`lambdas/handlers/http-errors.ts`). Messages never contain request or response content.
 */

/** What kind of failure an error is; the edge maps each kind to a status. */
export type ErrorKind =
  | 'invalid_request'
  | 'unsupported_by_offer'
  | 'no_eligible_offer'
  | 'too_large'
  | 'unauthorized'
  | 'forbidden'
  | 'not_found'
  | 'method_not_allowed'
  | 'conflict'
  | 'rate_limited'
  | 'budget_exceeded'
  | 'upstream_rejected'
  | 'upstream_failed'
  | 'unavailable'
  | 'internal';

/** One rate window's state, for the OpenAI-style `x-ratelimit-*` headers the edge writes. */
export interface RateWindowState {
  limit: number;
  /** Absent when unknown (a refusal before the window was counted). */
  remaining?: number;
  resetSeconds: number;
}

/** The tightest request and token windows that applied to a request. */
export interface RateLimitState {
  requests?: RateWindowState;
  tokens?: RateWindowState;
}

/** An upstream's own error object (OpenAI shape), passed back to its caller on request errors; never logged. */
export interface UpstreamErrorObject {
  message: string;
  type: string;
  param: string | null;
  code: string | null;
}

export interface ErrorDetails {
  /** The request parameter at fault. */
  param?: string | null;
  /** A stable machine-readable code (e.g. `budget_exceeded`). */
  code?: string | null;
  /** The request this error ended, when one was started. */
  requestId?: string;
  /** When the caller may try again. */
  retryAfterSeconds?: number;
  rateLimit?: RateLimitState;
  /** For `upstream_rejected`: the upstream's status (4xx) and its own error object. */
  upstreamStatus?: number;
  upstreamError?: UpstreamErrorObject;
}

/** Any failure the router reports to its caller. */
export class RouterError extends Error {
  override readonly name: string = 'RouterError';
  constructor(
    readonly kind: ErrorKind,
    message: string,
    readonly details: ErrorDetails = {},
  ) {
    super(message);
  }

  get param(): string | null {
    return this.details.param ?? null;
  }

  get code(): string | null {
    return this.details.code ?? null;
  }

  /**
   * A malformed or unacceptable request.
   *
   * @example
   * throw RouterError.invalidRequest('by must be one of day, model.', 'by');
   */
  static invalidRequest(message: string, param: string | null = null, code: string | null = 'invalid_value'): RouterError {
    return new RouterError('invalid_request', message, { param, code });
  }

  static unauthorized(
    message = 'Invalid API key. Pass a key created with `ctr keys create` as "Authorization: Bearer <key>".',
  ): RouterError {
    return new RouterError('unauthorized', message, { code: 'invalid_api_key' });
  }

  static forbidden(message: string, code: string): RouterError {
    return new RouterError('forbidden', message, { code });
  }

  static notFound(message: string, param: string | null = null, code = 'not_found'): RouterError {
    return new RouterError('not_found', message, { param, code });
  }

  static conflict(message: string, param: string | null, code: string): RouterError {
    return new RouterError('conflict', message, { param, code });
  }

  static tooLarge(message = 'Request body is too large.'): RouterError {
    return new RouterError('too_large', message, { code: 'request_too_large' });
  }

  static methodNotAllowed(message: string): RouterError {
    return new RouterError('method_not_allowed', message, { code: 'method_not_allowed' });
  }
}

/** A rate window (requests or tokens per minute) is full. */
export class RateLimited extends RouterError {
  override readonly name = 'RateLimited';
  constructor(
    message: string,
    code: 'rate_limit_exceeded' | 'tokens_per_minute',
    retryAfterSeconds: number,
    rateLimit: RateLimitState = {},
  ) {
    super('rate_limited', message, { code, retryAfterSeconds, rateLimit });
  }
}

/** A budget does not cover the request's maximum cost. */
export class BudgetExceeded extends RouterError {
  override readonly name = 'BudgetExceeded';
  constructor(message: string, retryAfterSeconds: number, rateLimit: RateLimitState = {}) {
    super('budget_exceeded', message, { code: 'budget_exceeded', retryAfterSeconds, rateLimit });
  }
}

/**
 * The chosen offer's provider cannot express this request (an image URL Bedrock cannot fetch, a
 * parameter Gemini lacks). Thrown by adapters before anything is sent upstream, so the attempt
 * loop skips to the next offer. Names the parameter, never its value.
 */
export class UnsupportedByOffer extends RouterError {
  override readonly name = 'UnsupportedByOffer';
  constructor(message: string, param: string | null = null) {
    super('unsupported_by_offer', message, { param, code: 'unsupported_parameter' });
  }
}

/**
 * A failed upstream call. `message` is safe to log and return: adapters build it from status
 * codes and error codes, never from request or response content.
 */
export class UpstreamError extends Error {
  override readonly name = 'UpstreamError';
  constructor(
    message: string,
    readonly reason: 'connect' | 'timeout' | 'http' | 'protocol' | 'aborted',
    readonly status?: number,
    /** The upstream's error body (OpenAI shape), returned to the client on request errors; never logged. */
    readonly upstreamBody?: unknown,
    /** The upstream's `Retry-After`, in seconds, when it sent one (bounded by the adapter). */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
  }

  /** Retryable failures fall back to the next offer: connect errors, timeouts, 408, 409, 429, 5xx. */
  get retryable(): boolean {
    if (this.reason === 'connect' || this.reason === 'timeout') return true;
    if (this.reason === 'http' && this.status !== undefined) return [408, 409, 429].includes(this.status) || this.status >= 500;
    return this.reason === 'protocol';
  }
}

/** Any thrown value as a RouterError; unexpected errors become a generic internal error without details. */
export function toRouterError(err: unknown): RouterError {
  if (err instanceof RouterError) return err;
  return new RouterError('internal', 'The router failed to process the request.', { code: 'internal_error' });
}
