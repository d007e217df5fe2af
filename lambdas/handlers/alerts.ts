/**
 * Budget alerts and breaker-state metrics, wired from the environment. The stack sets
 * `CTR_BUDGET_ALERT_TOPIC_ARN` and `CTR_BUDGET_ALERT_THRESHOLDS` when `deployment.budgetAlerts` is
 * on (lib/router-budget-alerts.ts); locally `CTR_BUDGET_ALERT_WEBHOOK` sends the same alerts to a
 * URL. Without either, no alert is checked (and no store read is spent on it).
 */
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { checkBudgetAlerts } from '../core/budget-alerts';
import type { Logger } from '../core/log';
import { processMetrics, recordBreakerState } from '../core/metrics';
import type { Caller } from '../domain/caller';
import type { BudgetAlertPublisher, LimitsPort } from '../domain/ports';
import { markOnce, unmark } from '../store/alert-markers';
import { snsAlertPublisher, webhookAlertPublisher } from '../store/alert-publishers';

/** The thresholds (percent) of `CTR_BUDGET_ALERT_THRESHOLDS` ("50,80,100"), or the defaults. */
export function alertThresholds(value: string | undefined, fallback: readonly number[] = [50, 80, 100]): number[] {
  const parsed = (value ?? '')
    .split(',')
    .map((v) => Number(v.trim()))
    .filter((n) => Number.isInteger(n) && n > 0 && n <= 1000);
  return [...new Set(parsed.length ? parsed : fallback)].sort((a, b) => a - b);
}

/**
 * What runs after a budgeted request is settled: checks the caller's budgets against the
 * thresholds and sends each newly crossed one once. Undefined when alerts are off.
 */
export function budgetAlertsFromEnv(
  env: NodeJS.ProcessEnv,
  store: { db: DynamoDBDocumentClient; limitsTable: string; limits: LimitsPort },
  log: Logger,
  configured?: readonly number[],
): ((caller: Caller) => Promise<unknown>) | undefined {
  const publisher: BudgetAlertPublisher | undefined = env.CTR_BUDGET_ALERT_TOPIC_ARN
    ? snsAlertPublisher(env.CTR_BUDGET_ALERT_TOPIC_ARN, env.AWS_REGION)
    : env.CTR_BUDGET_ALERT_WEBHOOK
      ? webhookAlertPublisher(env.CTR_BUDGET_ALERT_WEBHOOK)
      : undefined;
  if (!publisher) return undefined;
  const thresholdsPercent = alertThresholds(env.CTR_BUDGET_ALERT_THRESHOLDS, configured);
  return (caller) =>
    checkBudgetAlerts(
      {
        limits: store.limits,
        markOnce: (key, expiresAtSec) => markOnce(store.db, store.limitsTable, key, expiresAtSec),
        unmark: (key) => unmark(store.db, store.limitsTable, key),
        publish: async (alert) => {
          await publisher.publish(alert);
          log.log('info', 'budget alert sent', {
            accountId: alert.accountId,
            keyId: alert.keyId,
            countThresholdPercent: alert.thresholdPercent,
          });
        },
        thresholdsPercent,
        metrics: processMetrics(),
      },
      caller,
    );
}

/** Reports an offer's breaker opening or closing as the `BreakerOpen` metric (offer ids are `<provider>/<upstream model>`). */
export function breakerMetric(offerId: string, open: boolean): void {
  const slash = offerId.indexOf('/');
  recordBreakerState(processMetrics(), { provider: offerId.slice(0, slash), model: offerId.slice(slash + 1), open });
}
