/**
 * Errors the store throws that callers may act on without knowing DynamoDB. A store that does not
 * answer (client timeout, connection refused or reset, throttled or failing after the retry budget)
 * is `StoreUnavailable`, a domain error of kind `unavailable`: the edge answers 503 with
 * `Retry-After` before the first byte.
 */
import { RouterError } from '../domain/errors';

/** When a client may retry after the store failed it (seconds). */
export const STORE_RETRY_AFTER_SECONDS = 2;

/** Why the store could not be used; never carries item content, only a class and an error name. */
export type StoreUnavailableReason = 'timeout' | 'unreachable' | 'throttled' | 'failed';

export class StoreUnavailable extends RouterError {
  override readonly name = 'StoreUnavailable';
  constructor(
    readonly reason: StoreUnavailableReason,
    /** The name of the error behind it (e.g. TimeoutError, ECONNREFUSED): no message, no content. */
    readonly causeName?: string,
  ) {
    // The client sees only that the router is unavailable for now; the reason goes to logs by name.
    super('unavailable', 'The router is temporarily unavailable; retry shortly.', {
      code: 'store_unavailable',
      retryAfterSeconds: STORE_RETRY_AFTER_SECONDS,
    });
  }
}

const TIMEOUT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'ETIMEDOUT', 'AbortError']);
const UNREACHABLE = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'NetworkingError',
]);
const THROTTLED = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'LimitExceededException',
]);
const FAILED = new Set(['InternalServerError', 'ServiceUnavailable', 'InternalFailure']);

/**
 * The StoreUnavailable an SDK error stands for, or undefined for errors the caller handles itself
 * (conditional check failures, cancelled transactions, validation errors).
 *
 * @example
 * storeUnavailableFrom(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' })) // StoreUnavailable('timeout')
 */
export function storeUnavailableFrom(err: unknown): StoreUnavailable | undefined {
  if (err instanceof StoreUnavailable) return err;
  if (!err || typeof err !== 'object') return undefined;
  const e = err as { name?: unknown; code?: unknown; $metadata?: { httpStatusCode?: number } };
  const name = typeof e.name === 'string' ? e.name : '';
  const code = typeof e.code === 'string' ? e.code : '';
  const safe = (s: string) => (/^[A-Za-z_]{1,64}$/.test(s) ? s : undefined);
  if (TIMEOUT.has(name) || TIMEOUT.has(code)) return new StoreUnavailable('timeout', safe(name === 'Error' ? code : name));
  if (UNREACHABLE.has(code) || UNREACHABLE.has(name)) return new StoreUnavailable('unreachable', safe(code || name));
  if (THROTTLED.has(name)) return new StoreUnavailable('throttled', name);
  if (FAILED.has(name) || (e.$metadata?.httpStatusCode ?? 0) >= 500) return new StoreUnavailable('failed', safe(name));
  return undefined;
}
