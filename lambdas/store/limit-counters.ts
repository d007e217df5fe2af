/**
 * Keys and expiry of the limits table's counters: rate windows (`rate#…`/`min#…`), budget periods
 * (`budget#…`/`day#…` or `month#…`) and reservations (`resv#acct#…`/`<expiry>#<request>`).
 */
import type { Caller, Limits } from '../domain/caller';
import type { LeaseAmounts, LeaseCounter, LeaseDim, TakeAnswer } from '../domain/ports';

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

/** A budget period counter of a scope, with its limit and what a refusal names. */
export type BudgetCounter = CounterKey & { limit: number; limitsAt: number; label: string; resetAt: Date; who: 'account' | 'API key' };

/** The account's and the key's limits, account first. */
export function scopesOf(caller: Caller): Scope[] {
  return [
    { kind: 'acct', id: caller.accountId, limits: caller.accountLimits ?? {} },
    { kind: 'key', id: caller.keyId, limits: caller.keyLimits ?? {} },
  ];
}

/** The budget counters (daily, monthly) that apply to these scopes at `now`. */
export function budgetCounters(scopes: Scope[], now: Date): BudgetCounter[] {
  const day = now.toISOString().slice(0, 10);
  const month = day.slice(0, 7);
  const out: BudgetCounter[] = [];
  for (const s of scopes) {
    const who = s.kind === 'acct' ? 'account' : 'API key';
    if (s.limits.dailyBudgetNanoUsd !== undefined)
      out.push({
        pk: `budget#${s.kind}#${s.id}`,
        sk: `day#${day}`,
        limit: s.limits.dailyBudgetNanoUsd,
        limitsAt: s.limits.setAt ?? 0,
        label: `daily budget of this ${who}`,
        resetAt: periodEnd(now, 'day'),
        who,
      });
    if (s.limits.monthlyBudgetNanoUsd !== undefined)
      out.push({
        pk: `budget#${s.kind}#${s.id}`,
        sk: `month#${month}`,
        limit: s.limits.monthlyBudgetNanoUsd,
        limitsAt: s.limits.setAt ?? 0,
        label: `monthly budget of this ${who}`,
        resetAt: periodEnd(now, 'month'),
        who,
      });
  }
  return out;
}

/** A raw DynamoDB attribute value, as a conditional check failure returns the item. */
type Raw = { N?: string; S?: string };

/** A number attribute, plain or raw (0 when absent). */
export const num = (v: unknown) => (typeof v === 'number' ? v : Number((v as Raw | undefined)?.N ?? v ?? 0));
/** A string attribute, plain or raw. */
export const str = (v: unknown) => (typeof v === 'string' ? v : (v as Raw | undefined)?.S);

/** The attribute of a counter item that carries each dimension's limit (`limitAt`: when those limits were set). */
export const LIMIT_ATTR: Record<LeaseDim, string> = { committed: 'limit', requests: 'requestLimit', tokens: 'tokenLimit' };
const DIMS_OF: Record<LeaseCounter['kind'], LeaseDim[]> = { budget: ['committed'], rate: ['requests', 'tokens'] };

/** The limits a counter item (plain or raw) carries, and when they were set; undefined when it carries none. */
export function storedLimits(item: Record<string, unknown> | undefined, kind: LeaseCounter['kind']): TakeAnswer['stored'] {
  if (!item) return undefined;
  const limits: LeaseAmounts = {};
  for (const d of DIMS_OF[kind]) if (item[LIMIT_ATTR[d]] !== undefined) limits[d] = num(item[LIMIT_ATTR[d]]);
  if (!Object.keys(limits).length) return undefined;
  return { limits, at: num(item.limitAt) };
}
