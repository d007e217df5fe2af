/** Request ids: `req_` + 9 base-36 digits of milliseconds (sorts by time) + 16 random hex digits. */
import { randomUUID } from 'node:crypto';

export function newRequestId(now = Date.now()): string {
  // 16 hex digits of a random UUID (from Node's buffered CSPRNG: no system call per request).
  return `req_${now.toString(36).padStart(9, '0')}${randomUUID().replace(/-/g, '').slice(0, 16)}`;
}

/** The smallest request id at a time: the lower bound of a time range over ids. */
export function requestIdAt(time: number): string {
  return `req_${time.toString(36).padStart(9, '0')}`;
}
