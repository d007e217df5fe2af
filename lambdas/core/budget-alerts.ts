/**
 * Budget alerts: after a spend is settled, each budget of the caller (account and key, day and
 * month) is compared with the configured thresholds (percent); every threshold crossed is sent
 * once per budget and period — a conditional write of a marker decides which instance sends it, so
 * concurrent requests and retries never send the same alert twice. Alerts carry ids and amounts only.
 */

import { createHash } from 'node:crypto';
import type { Caller } from '../domain/caller';
import type { BudgetAlert, LimitsPort } from '../domain/ports';
import { type MetricsSink, recordBudgetAlert } from './metrics';

export type { BudgetAlert } from '../domain/ports';

export interface BudgetAlertDeps {
  limits: Pick<LimitsPort, 'budgetStatus'>;
  /** Writes `key` unless it exists; true when this call wrote it (and so sends the alert). */
  markOnce(key: string, expiresAtSec: number): Promise<boolean>;
  /** Removes a marker whose alert could not be published, so a later check sends it again. */
  unmark?(key: string): Promise<void>;
  publish(alert: BudgetAlert): Promise<void>;
  /** Ascending percentages, e.g. [50, 80, 100]. */
  thresholdsPercent: readonly number[];
  metrics?: MetricsSink;
  now?: () => Date;
}

/** Markers outlive the longest period (a month) with a margin, then expire by TTL. */
const MARKER_TTL_SECONDS = 40 * 86_400;

/**
 * Sends the alerts the caller's budgets have newly crossed; returns them.
 *
 * @example
 * await checkBudgetAlerts({ limits, markOnce, publish, thresholdsPercent: [50, 80, 100] }, caller);
 */
export async function checkBudgetAlerts(deps: BudgetAlertDeps, caller: Caller): Promise<BudgetAlert[]> {
  if (!deps.thresholdsPercent.length) return [];
  const nowSec = Math.floor((deps.now?.() ?? new Date()).getTime() / 1000);
  const sent: BudgetAlert[] = [];
  for (const b of await deps.limits.budgetStatus(caller)) {
    if (!(b.limitUsd > 0)) continue;
    const usedPercent = (b.spentUsd / b.limitUsd) * 100;
    for (const threshold of deps.thresholdsPercent) {
      if (usedPercent < threshold) break;
      // Hashed: the marker outlives an erasure of the account and must not name it.
      const owner = createHash('sha256')
        .update(b.scope === 'key' ? `key#${caller.keyId}` : `acct#${caller.accountId}`)
        .digest('hex');
      const marker = `alert#${owner}#${b.period}#${threshold}`;
      if (!(await deps.markOnce(marker, nowSec + MARKER_TTL_SECONDS))) continue;
      const alert: BudgetAlert = {
        accountId: caller.accountId,
        ...(b.scope === 'key' ? { keyId: caller.keyId } : {}),
        scope: b.scope,
        period: b.period,
        thresholdPercent: threshold,
        limitUsd: b.limitUsd,
        spentUsd: b.spentUsd,
      };
      try {
        await deps.publish(alert);
      } catch (err) {
        await deps.unmark?.(marker).catch(() => undefined);
        throw err;
      }
      if (deps.metrics) recordBudgetAlert(deps.metrics);
      sent.push(alert);
    }
  }
  return sent;
}
