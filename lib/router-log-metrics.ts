/**
 * Metrics the router counts from its own JSON log lines: one CloudWatch Logs metric filter per
 * function log group and `LOG_METRICS` message (written by `lambdas/core`). Built into
 * `RouterMonitoring`'s scope. Provider fallbacks, requests, tokens and cost are Powertools (EMF)
 * metrics now (`router-metrics.ts`); only the two money-loss lines are still counted from logs.
 */
import type { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { LOG_METRICS, METRIC_NAMESPACE } from './cheap-token-router-defaults';
import { ROUTER_FUNCTIONS, type RouterFunctionName } from './table-access';

/** Metrics counted from the router's own log lines (namespace `CheapTokenRouter/<namePrefix>`). */
export interface RouterLogMetrics {
  /** Count of `usage record failed` lines: served requests that were not metered. */
  readonly usageRecordFailed: cloudwatch.Metric;
  /** Count of `reservation settle failed` lines: spends that never reached the budget. */
  readonly reservationSettleFailed: cloudwatch.Metric;
}

/** Props of {@link buildLogMetrics}. */
export interface RouterLogMetricsProps {
  /** Each function's JSON log group (the metric filters read these). */
  readonly functionLogGroups: Readonly<Record<RouterFunctionName, logs.ILogGroup>>;
  /** Appended to the namespace: `CheapTokenRouter/<namePrefix>`. */
  readonly namePrefix: string;
  /** Period of the returned metrics. */
  readonly period: Duration;
}

/**
 * One metric filter per function log group and log message. The functions write one JSON object per
 * line (`lambdas/core/log.ts`), so the pattern matches the `message` field exactly, never a substring.
 */
export function buildLogMetrics(scope: Construct, props: RouterLogMetricsProps): RouterLogMetrics {
  const namespace = `${METRIC_NAMESPACE}/${props.namePrefix}`;
  const pattern = (message: string) => logs.FilterPattern.stringValue('$.message', '=', message);
  for (const fn of ROUTER_FUNCTIONS) {
    const logGroup = props.functionLogGroups[fn];
    const pascal = fn.charAt(0).toUpperCase() + fn.slice(1);
    for (const { message, metricName } of Object.values(LOG_METRICS)) {
      new logs.MetricFilter(scope, `${pascal}${metricName}`, {
        logGroup,
        filterPattern: pattern(message),
        metricNamespace: namespace,
        metricName,
        metricValue: '1',
      });
    }
  }
  // No labels here: a labelled metric would turn each alarm into a metric-math alarm.
  const metric = (metricName: string) =>
    new cloudwatch.Metric({ namespace, metricName, statistic: cloudwatch.Stats.SUM, period: props.period });
  return {
    usageRecordFailed: metric(LOG_METRICS.usageRecordFailed.metricName),
    reservationSettleFailed: metric(LOG_METRICS.reservationSettleFailed.metricName),
  };
}
