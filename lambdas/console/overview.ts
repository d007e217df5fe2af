/**
 * The console's overview across accounts: spend, requests, errors and refusals of a period in all,
 * the accounts and keys that spent most, and the budgets closest to their limit. Built from the same
 * backend calls the account view uses (one usage report per account), so it works in-process and over
 * the admin API alike.
 */
import type { UsageRow } from '../core/usage-report';
import type { ConsoleBackend } from './backend';

/** Accounts the overview reads at most (one usage query each); more are counted but not read. */
export const OVERVIEW_MAX_ACCOUNTS = 100;

export interface OverviewAccount {
  accountId: string;
  status: string;
  requests: number;
  errors: number;
  refusals: number;
  costUsd: number;
  /** The account's monthly budget and the share of it this period spent (null without a budget). */
  monthlyBudgetUsd: number | null;
  budgetUsedShare: number | null;
}

export interface OverviewKey {
  accountId: string;
  keyId: string;
  name: string;
  requests: number;
  refusals: number;
  costUsd: number;
}

export interface Overview {
  from: string;
  to: string;
  totals: { accounts: number; requests: number; errors: number; refusals: number; costUsd: number; refusedBy: Record<string, number> };
  accounts: OverviewAccount[];
  topKeys: OverviewKey[];
  /** Accounts not read (over `OVERVIEW_MAX_ACCOUNTS`). */
  unread: number;
}

const round9 = (usd: number) => Math.round(usd * 1e9) / 1e9;

/**
 * The overview of a period (days, inclusive).
 *
 * @example
 * await overview(runtime.accounts, '2026-12-01', '2026-12-08') // { totals: { requests: 30, refusals: 7, … }, accounts: [...], topKeys: [...] }
 */
export async function overview(backend: ConsoleBackend, from: string, to: string): Promise<Overview> {
  const all = await backend.listAccounts();
  const read = all.slice(0, OVERVIEW_MAX_ACCOUNTS);
  const perAccount = await Promise.all(
    read.map(async (a) => {
      const [rows, keys] = await Promise.all([backend.usage(a.accountId, { from, to, by: 'key' }), backend.listKeys(a.accountId)]);
      return { a, rows, names: new Map(keys.map((k) => [k.keyId, k.name])) };
    }),
  );
  const sum = (rows: UsageRow[], f: (r: UsageRow) => number) => rows.reduce((s, r) => s + f(r), 0);
  const refusedBy: Record<string, number> = {};
  const accounts: OverviewAccount[] = [];
  const keys: OverviewKey[] = [];
  for (const { a, rows, names } of perAccount) {
    for (const r of rows) {
      for (const [reason, n] of Object.entries(r.refusedBy)) refusedBy[reason] = (refusedBy[reason] ?? 0) + n;
      keys.push({
        accountId: a.accountId,
        keyId: r.group,
        name: names.get(r.group) ?? r.group,
        requests: r.requests,
        refusals: r.refusals,
        costUsd: r.costUsd,
      });
    }
    const costUsd = round9(sum(rows, (r) => r.costUsd));
    const budget = a.limits.monthlyBudgetUsd ?? null;
    accounts.push({
      accountId: a.accountId,
      status: a.status,
      requests: sum(rows, (r) => r.requests),
      errors: sum(rows, (r) => r.errors),
      refusals: sum(rows, (r) => r.refusals),
      costUsd,
      monthlyBudgetUsd: budget,
      budgetUsedShare: budget ? costUsd / budget : null,
    });
  }
  accounts.sort((x, y) => y.costUsd - x.costUsd || y.refusals - x.refusals || x.accountId.localeCompare(y.accountId));
  keys.sort((x, y) => y.costUsd - x.costUsd || y.requests - x.requests);
  return {
    from,
    to,
    totals: {
      accounts: all.length,
      requests: accounts.reduce((s, a) => s + a.requests, 0),
      errors: accounts.reduce((s, a) => s + a.errors, 0),
      refusals: accounts.reduce((s, a) => s + a.refusals, 0),
      costUsd: round9(accounts.reduce((s, a) => s + a.costUsd, 0)),
      refusedBy,
    },
    accounts,
    topKeys: keys.slice(0, 10),
    unread: all.length - read.length,
  };
}
