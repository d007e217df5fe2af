/**
 * The router's own metrics as CloudWatch sees them: what the functions emit with Powertools
 * Metrics (EMF, `lambdas/core/metrics.ts`). Totals carry only the `service` dimension; the
 * per-model/provider series are read with SEARCH, so the dashboard follows whatever models and
 * providers are served without a redeploy.
 */
import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { METRIC_DIMENSIONS, METRIC_NAMES, type MetricName, SERVICE_NAME } from '../lambdas/core/metrics';
import { METRIC_NAMESPACE } from './cheap-token-router-defaults';

/** The EMF metrics of one deployment (namespace `CheapTokenRouter/<namePrefix>`). */
export interface RouterMetrics {
  readonly namespace: string;
  /** A total (dimension `service` only), summed over the period. */
  total(name: MetricName, label?: string): cloudwatch.Metric;
  /** One line per model and provider (SEARCH over the `service, model, provider` dimension set). */
  byModelAndProvider(name: MetricName, statistic?: 'Sum' | 'Maximum'): cloudwatch.MathExpression;
}

/**
 * The EMF metrics, for alarms and the dashboard.
 *
 * @example
 * const m = routerMetrics('ctr', Duration.minutes(5));
 * new cloudwatch.Alarm(this, 'Fallbacks', { metric: m.total('Fallbacks'), threshold: 10, evaluationPeriods: 1 });
 */
export function routerMetrics(namePrefix: string, period: Duration): RouterMetrics {
  const namespace = `${METRIC_NAMESPACE}/${namePrefix}`;
  const { model, provider } = METRIC_DIMENSIONS;
  return {
    namespace,
    total: (name, label) =>
      new cloudwatch.Metric({
        namespace,
        metricName: name,
        dimensionsMap: { service: SERVICE_NAME },
        statistic: cloudwatch.Stats.SUM,
        period,
        label,
      }),
    byModelAndProvider: (name, statistic = 'Sum') =>
      new cloudwatch.MathExpression({
        expression: `SEARCH('{${namespace},service,${model},${provider}} MetricName="${name}"', '${statistic}', ${period.toSeconds()})`,
        label: '',
        period,
      }),
  };
}

export { METRIC_NAMES };
