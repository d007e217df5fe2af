/** Request ids: `req_` + 9 base-36 digits of milliseconds (sorts by time) + 16 random hex digits. */
import { createHash, randomUUID } from 'node:crypto';

export function newRequestId(now = Date.now()): string {
  // 16 hex digits of a random UUID (from Node's buffered CSPRNG: no system call per request).
  return `req_${now.toString(36).padStart(9, '0')}${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/** The smallest request id at a time: the lower bound of a time range over ids. */
export function requestIdAt(time: number): string {
  return `req_${time.toString(36).padStart(9, '0')}`;
}

/** Fingerprints by offer id (bounded by the catalog). */
const fingerprints = new Map<string, string>();

/**
 * The `system_fingerprint` of an answer whose upstream sent none: stable per offer, so it changes
 * when the backend that serves a model does (what OpenAI's field is for). Clients such as
 * OpenRouter's SDK require the field.
 *
 * @example
 * systemFingerprint('groq/llama-3.3-70b-versatile') // 'fp_' + 10 hex digits
 */
export function systemFingerprint(offerId: string): string {
  let fp = fingerprints.get(offerId);
  if (!fp) {
    fp = `fp_${createHash('sha256').update(offerId).digest('hex').slice(0, 10)}`;
    fingerprints.set(offerId, fp);
  }
  return fp;
}
