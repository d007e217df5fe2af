/** An upstream's `Retry-After` header, read as untrusted input. */

/** The longest wait a provider may ask for that the router passes on (a day). */
export const MAX_RETRY_AFTER_SECONDS = 86_400;

/**
 * Seconds to wait from a `Retry-After` value (delay-seconds or an HTTP-date), rounded up and bounded
 * to 1 s … a day; undefined when absent or unreadable.
 *
 * @example
 * retryAfterSeconds('30') // 30
 * retryAfterSeconds('Wed, 21 Oct 2015 07:28:00 GMT', Date.parse('Wed, 21 Oct 2015 07:27:00 GMT')) // 60
 */
export function retryAfterSeconds(value: string | null | undefined, now = Date.now()): number | undefined {
  if (!value) return undefined;
  const text = value.trim().slice(0, 64);
  let seconds: number;
  if (/^\d+(\.\d+)?$/.test(text)) seconds = Number(text);
  else {
    const at = Date.parse(text);
    if (Number.isNaN(at)) return undefined;
    seconds = (at - now) / 1000;
  }
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.ceil(seconds)));
}
