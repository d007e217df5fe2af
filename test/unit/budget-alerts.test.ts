/** Budget alerts: each threshold crossed is sent once per budget and period, whoever asks again. */
import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { type BudgetAlert, checkBudgetAlerts } from '../../lambdas/core/budget-alerts';
import type { MetricPoint } from '../../lambdas/core/metrics';
import type { BudgetStatus } from '../../lambdas/domain/ports';

const caller = { accountId: 'acme', keyId: 'key_1' };
const status = (scope: 'account' | 'key', period: string, limitUsd: number, spentUsd: number): BudgetStatus => ({
  scope,
  period,
  limitUsd,
  spentUsd,
  committedUsd: spentUsd,
  remainingUsd: limitUsd - spentUsd,
});

function setup(budgets: BudgetStatus[]) {
  const markers = new Set<string>();
  const sent: BudgetAlert[] = [];
  const points: MetricPoint[] = [];
  const deps = {
    limits: { budgetStatus: async () => budgets },
    markOnce: async (key: string) => {
      if (markers.has(key)) return false;
      markers.add(key);
      return true;
    },
    unmark: async (key: string) => {
      markers.delete(key);
    },
    publish: async (a: BudgetAlert) => {
      sent.push(a);
    },
    thresholdsPercent: [50, 80, 100],
    metrics: { emit: (p: MetricPoint) => points.push(p) },
  };
  return { deps, markers, sent, points };
}

describe('checkBudgetAlerts', () => {
  it('sends every threshold crossed, once, with ids and amounts only', async () => {
    // Prepare
    const { deps, sent, points, markers } = setup([status('account', 'month#2026-11', 10, 8.5), status('key', 'day#2026-11-28', 1, 0.2)]);
    // Act
    await checkBudgetAlerts(deps, caller);
    await checkBudgetAlerts(deps, caller);
    // Assess
    expect(sent).toEqual([
      { accountId: 'acme', scope: 'account', period: 'month#2026-11', thresholdPercent: 50, limitUsd: 10, spentUsd: 8.5 },
      { accountId: 'acme', scope: 'account', period: 'month#2026-11', thresholdPercent: 80, limitUsd: 10, spentUsd: 8.5 },
    ]);
    // The owner is hashed: a marker outlives an erasure and must not name the account.
    const owner = createHash('sha256').update('acct#acme').digest('hex');
    expect([...markers]).toEqual([`alert#${owner}#month#2026-11#50`, `alert#${owner}#month#2026-11#80`]);
    expect(points).toHaveLength(2);
  });

  it('a new period alerts again; a key budget is named by its key', async () => {
    const { deps, sent } = setup([status('key', 'month#2026-12', 2, 2)]);
    await checkBudgetAlerts(deps, caller);
    expect(sent.map((a) => [a.keyId, a.period, a.thresholdPercent])).toEqual([
      ['key_1', 'month#2026-12', 50],
      ['key_1', 'month#2026-12', 80],
      ['key_1', 'month#2026-12', 100],
    ]);
  });

  it('concurrent checks send each alert exactly once (the marker decides)', async () => {
    const { deps, sent } = setup([status('account', 'month#2026-11', 4, 4)]);
    await Promise.all(Array.from({ length: 8 }, () => checkBudgetAlerts(deps, caller)));
    expect(sent.map((a) => a.thresholdPercent).sort((a, b) => a - b)).toEqual([50, 80, 100]);
  });

  it('an alert that could not be published is sent by the next check', async () => {
    const { deps, sent, markers } = setup([status('account', 'month#2026-11', 10, 5)]);
    const publish = deps.publish;
    deps.publish = async () => {
      throw new Error('topic unreachable');
    };
    await expect(checkBudgetAlerts(deps, caller)).rejects.toThrow('topic unreachable');
    expect(markers.size).toBe(0);
    deps.publish = publish;
    await checkBudgetAlerts(deps, caller);
    expect(sent.map((a) => a.thresholdPercent)).toEqual([50]);
  });
});
