/**
 * Usage reports: an account's usage events grouped by hour, day, model, provider or key, with the
 * trouble beside the totals — requests that failed at the provider, latency and time-to-first-token
 * percentiles, the requests refused before a provider was called (by reason), and the last request of
 * each group. Computed from the usage records and refusal counts the router keeps (counts and timings
 * only; nothing of a prompt or a completion).
 */
import { nanoToUsd } from '../domain/money';
import type { RefusalCount } from '../domain/refusals';
import { addEvent, type UsageEvent, type UsageTotals, ZERO_TOTALS } from '../domain/usage';

/** How a usage report groups its rows. */
export const USAGE_GROUPINGS = ['hour', 'day', 'model', 'provider', 'key'] as const;
export type UsageGrouping = (typeof USAGE_GROUPINGS)[number];

/** Nearest-rank percentiles in milliseconds. */
export interface Percentiles {
  p50: number;
  p95: number;
  p99: number;
}

export interface UsageRow extends UsageTotals {
  group: string;
  costUsd: number;
  /** Reference cost − cost: what routing saved against the dearest eligible offer, in USD. */
  savingsUsd: number;
  /** Requests that reached a provider and did not end `ok` (the provider failed mid-stream, the client left). */
  errors: number;
  /** Request latency and time to first token (streams) or to the whole answer. */
  latencyMs: Percentiles;
  ttftMs: Percentiles;
  /** When the group's latest answered request arrived (ISO time); empty when it has only refusals. */
  lastAt: string;
  /** Requests refused without a usage record (401, 403, 404, 429, 503 …), in all and by `<status>-<code>`. */
  refusals: number;
  refusedBy: Record<string, number>;
}

const GROUP_OF: Record<UsageGrouping, (e: UsageEvent) => string> = {
  hour: (e) => `${e.at.slice(0, 13)}:00`,
  day: (e) => e.at.slice(0, 10),
  model: (e) => e.servedModel,
  provider: (e) => e.provider,
  key: (e) => e.keyId,
};

/** Nearest-rank percentiles of values (sorted in place); zeros for none. Non-finite values are skipped. */
export function percentiles(values: number[]): Percentiles {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  const at = (p: number) => (xs.length ? xs[Math.min(xs.length - 1, Math.ceil((p / 100) * xs.length) - 1)]! : 0);
  return { p50: at(50), p95: at(95), p99: at(99) };
}

/** The group a refusal count falls in; undefined for groupings refusals do not carry (model, provider). */
const REFUSAL_GROUP_OF: Partial<Record<UsageGrouping, (r: RefusalCount) => string>> = {
  hour: (r) => r.hour,
  day: (r) => r.hour.slice(0, 10),
  key: (r) => r.keyId ?? '-',
};

/**
 * Groups usage events (and refusal counts, by hour, day or key) into report rows, sorted by group.
 *
 * @example
 * usageReport(events, 'hour', refusals) // [{ group: '2026-12-08T01:00', requests: 12, errors: 1, refusals: 3, latencyMs: { p50: 40, … }, … }]
 */
export function usageReport(events: readonly UsageEvent[], by: UsageGrouping, refusals: readonly RefusalCount[] = []): UsageRow[] {
  const groups = new Map<string, { row: UsageRow; latency: number[]; ttft: number[] }>();
  const entryOf = (g: string) => {
    let entry = groups.get(g);
    if (!entry) {
      const zero = { p50: 0, p95: 0, p99: 0 };
      const row: UsageRow = {
        group: g,
        ...ZERO_TOTALS,
        costUsd: 0,
        savingsUsd: 0,
        errors: 0,
        latencyMs: zero,
        ttftMs: zero,
        lastAt: '',
        refusals: 0,
        refusedBy: {},
      };
      entry = { row, latency: [], ttft: [] };
      groups.set(g, entry);
    }
    return entry;
  };
  const refusalGroup = REFUSAL_GROUP_OF[by];
  if (refusalGroup)
    for (const r of refusals) {
      const { row } = entryOf(refusalGroup(r));
      row.refusals += r.count;
      row.refusedBy[r.reason] = (row.refusedBy[r.reason] ?? 0) + r.count;
    }
  for (const e of events) {
    const entry = entryOf(GROUP_OF[by](e));
    addEvent(entry.row, e);
    if (e.status !== 'ok') entry.row.errors++;
    if (e.at > entry.row.lastAt) entry.row.lastAt = e.at;
    entry.latency.push(e.latencyMs);
    entry.ttft.push(e.ttftMs);
  }
  const rows: UsageRow[] = [];
  for (const { row, latency, ttft } of groups.values()) {
    row.costUsd = nanoToUsd(row.costNanoUsd);
    row.savingsUsd = nanoToUsd(row.referenceCostNanoUsd - row.costNanoUsd);
    row.latencyMs = percentiles(latency);
    row.ttftMs = percentiles(ttft);
    rows.push(row);
  }
  return rows.sort((a, b) => a.group.localeCompare(b.group));
}
