/**
 * Keys and expiry of the limits table's counters: rate windows (`rate#…`/`min#…`), budget periods
 * (`budget#…`/`day#…` or `month#…`) and reservations (`resv#acct#…`/`<expiry>#<request>`).
 */
import type { Limits } from '../domain/caller';

/** Whose limits a counter counts: the account's or one key's. */
export type Scope = { kind: 'acct' | 'key'; id: string; limits: Limits };

export interface CounterKey {
  pk: string;
  sk: string;
}

export const pad = (n: number) => n.toString().padStart(12, '0');

/** When a budget counter may go (epoch seconds): a day after its period ends. `day#YYYY-MM-DD` or `month#YYYY-MM`. */
export function counterExpiry(sk: string): number {
  const [kind, period] = sk.split('#') as [string, string];
  const [y, m, d] = period.split('-').map(Number) as [number, number, number?];
  const end = kind === 'day' ? Date.UTC(y, m - 1, d! + 1) : Date.UTC(y, m, 1);
  return Math.floor(end / 1000) + 86_400;
}

export function periodEnd(now: Date, period: 'day' | 'month'): Date {
  return period === 'day'
    ? new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate() + 1))
    : new Date(Date.UTC(now.getUTCFullYear(), now.getUTCMonth() + 1, 1));
}
