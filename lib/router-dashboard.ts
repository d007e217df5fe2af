/**
 * The CloudWatch dashboard of one regional router, `<namePrefix>-router-<region>`: requests,
 * 4XX/5XX, latency, per-function invocations/errors/duration/throttles, lost usage records and
 * settlements, upstream failures per provider, and the alarms' state. Built into
 * `RouterMonitoring`'s scope.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type { Construct } from 'constructs';
import type { RouterAlarms } from './router-alarms';
import type { RouterLogMetrics } from './router-log-metrics';
import { METRIC_NAMES, type RouterMetrics } from './router-metrics';
import { ROUTER_FUNCTIONS, type RouterFunctionName } from './table-access';

/** Props of {@link buildRouterDashboard}. */
export interface RouterDashboardProps {
  /** The API whose stage metrics are shown. */
  readonly api: apigw.RestApi;
  /** The functions whose metrics are shown. */
  readonly functions: Readonly<Record<RouterFunctionName, lambda.Function>>;
  /** The log-derived metrics. */
  readonly logMetrics: RouterLogMetrics;
  /** The functions' Powertools (EMF) metrics. */
  readonly metrics: RouterMetrics;
  /** Provider ids of the config: one line each in the upstream-failure widget. */
  readonly providerIds: readonly string[];
  /** Prefix of the dashboard name. */
  readonly namePrefix: string;
  /**
   * Alarms shown in an alarm status widget.
   *
   * @default - no alarm widget
   */
  readonly alarms?: RouterAlarms;
}

export function buildRouterDashboard(scope: Construct, props: RouterDashboardProps): cloudwatch.Dashboard {
  const { api, functions, namePrefix, logMetrics, metrics, alarms } = props;
  const stack = Stack.of(scope);
  const stage = api.deploymentStage;
  const period = Duration.minutes(5);
  const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
    new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period, ...extra });
  const perFunction = (metric: (fn: lambda.Function) => cloudwatch.Metric) =>
    ROUTER_FUNCTIONS.map((name) => metric(functions[name]).with({ label: name }));
  const withLabel = (name: string, m: cloudwatch.Metric) => m.with({ label: name });

  const dashboard = new cloudwatch.Dashboard(scope, 'Dashboard', {
    dashboardName: `${namePrefix}-router-${stack.region}`,
    defaultInterval: Duration.hours(3),
  });
  dashboard.addWidgets(
    new cloudwatch.TextWidget({
      markdown:
        `# Cheap Token Router — ${stack.region}\n` +
        "API Gateway stage, the chat / api / admin functions, the router's Powertools metrics (requests, tokens, cost, fallbacks, breakers, outbox) " +
        'and two counts from its log lines. Usage-record and settle failures are money lost; a fallback is a failed provider attempt (the next offer was tried, or after the last a 502).',
      width: 24,
      height: 2,
    }),
  );
  dashboard.addWidgets(
    graph('API requests', [stage.metricCount({ statistic: cloudwatch.Stats.SUM, label: 'Requests' })]),
    graph('API 4XX / 5XX', [
      stage.metricClientError({ statistic: cloudwatch.Stats.SUM, label: '4XX' }),
      stage.metricServerError({ statistic: cloudwatch.Stats.SUM, label: '5XX' }),
    ]),
    graph('API latency (ms)', [
      stage.metricLatency({ statistic: cloudwatch.Stats.p(50), label: 'Latency p50' }),
      stage.metricLatency({ statistic: cloudwatch.Stats.p(99), label: 'Latency p99' }),
      stage.metricIntegrationLatency({ statistic: cloudwatch.Stats.p(99), label: 'Integration p99' }),
    ]),
  );
  dashboard.addWidgets(
    graph(
      'Function invocations',
      perFunction((fn) => fn.metricInvocations({ statistic: cloudwatch.Stats.SUM })),
      { width: 6 },
    ),
    graph(
      'Function errors',
      perFunction((fn) => fn.metricErrors({ statistic: cloudwatch.Stats.SUM })),
      { width: 6 },
    ),
    graph(
      'Function duration p99 (ms)',
      perFunction((fn) => fn.metricDuration({ statistic: cloudwatch.Stats.p(99) })),
      { width: 6 },
    ),
    graph(
      'Function throttles',
      perFunction((fn) => fn.metricThrottles({ statistic: cloudwatch.Stats.SUM })),
      { width: 6 },
    ),
  );
  dashboard.addWidgets(
    graph('Usage records lost (money)', [withLabel('usage record failed', logMetrics.usageRecordFailed)]),
    graph('Budget settlements lost (money)', [withLabel('reservation settle failed', logMetrics.reservationSettleFailed)]),
    graph('Provider fallbacks', [
      metrics.total(METRIC_NAMES.fallbacks, 'all providers'),
      metrics.byModelAndProvider(METRIC_NAMES.fallbacks),
    ]),
  );
  dashboard.addWidgets(
    graph(
      'Requests by model / provider',
      [metrics.total(METRIC_NAMES.requests, 'all'), metrics.byModelAndProvider(METRIC_NAMES.requests)],
      { width: 6 },
    ),
    graph(
      'Tokens',
      [
        metrics.total(METRIC_NAMES.promptTokens, 'prompt'),
        metrics.total(METRIC_NAMES.completionTokens, 'completion'),
        metrics.byModelAndProvider(METRIC_NAMES.completionTokens),
      ],
      { width: 6 },
    ),
    graph(
      'Cost (USD) by model / provider',
      [metrics.total(METRIC_NAMES.costUsd, 'all'), metrics.byModelAndProvider(METRIC_NAMES.costUsd)],
      { width: 6 },
    ),
    graph(
      'Breakers open (1 = open) / local outbox depth',
      [
        metrics.byModelAndProvider(METRIC_NAMES.breakerOpen, 'Maximum'),
        // The local spool's depth; in the cloud the outbox is an SQS queue (its widget: router-queues.ts).
        metrics.total(METRIC_NAMES.outboxDepth, 'outbox depth').with({ statistic: cloudwatch.Stats.MAXIMUM }),
      ],
      { width: 6 },
    ),
  );
  if (alarms) {
    dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...alarms.all], width: 24, height: 4 }));
  }
  return dashboard;
}
