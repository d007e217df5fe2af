/**
 * `RouterMonitoring`: the CloudWatch side of one regional router — metric filters on the
 * functions' JSON log lines (`router-log-metrics.ts`), alarms and the optional alarm topic
 * (`router-alarms.ts`), and a dashboard (`router-dashboard.ts`). `CheapTokenRouter` creates it; it
 * provisions and wires only: thresholds come from props and `ALARM_DEFAULTS`, log messages from
 * `LOG_METRICS` (written by `lambdas/core`).
 */
import { Duration } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import type * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { ALARM_DEFAULTS, ROUTER_DEFAULTS } from './cheap-token-router-defaults';
import { buildAlarmTopic, buildRouterAlarms, type RouterAlarmOptions, type RouterAlarms } from './router-alarms';
import { buildRouterDashboard } from './router-dashboard';
import { buildLogMetrics, type RouterLogMetrics } from './router-log-metrics';
import { type RouterMetrics, routerMetrics } from './router-metrics';
import type { RouterFunctionName } from './table-access';

export type { RouterAlarmOptions, RouterAlarms } from './router-alarms';
export type { RouterLogMetrics } from './router-log-metrics';

/** Props of {@link RouterMonitoring}. */
export interface RouterMonitoringProps {
  /** The API whose stage is watched. */
  readonly api: apigw.RestApi;
  /** The router's functions. */
  readonly functions: Readonly<Record<RouterFunctionName, lambda.Function>>;
  /** Each function's JSON log group (the metric filters read these). */
  readonly functionLogGroups: Readonly<Record<RouterFunctionName, logs.ILogGroup>>;
  /** Provider ids of the config: one line each in the upstream-failure widget. */
  readonly providerIds: readonly string[];
  /** Prefix of alarm and dashboard names and of the log-metric namespace. */
  readonly namePrefix: string;
  /**
   * Alarm options.
   *
   * @default - every alarm enabled with `ALARM_DEFAULTS`; no latency alarm
   */
  readonly alarms?: RouterAlarmOptions;
  /**
   * Create the dashboard.
   *
   * @default true
   */
  readonly dashboard?: boolean;
  /**
   * Topic every alarm notifies (ALARM and OK).
   *
   * @default - a topic is created when `alarmEmail` is set; otherwise alarms have no actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * E-mail address subscribed to a topic created for the alarms. Ignored when `alarmTopic` is set.
   *
   * @default - no topic is created
   */
  readonly alarmEmail?: string;
}

/** Metric filters, alarms, alarm topic and dashboard of one regional router. */
export class RouterMonitoring extends Construct {
  /** Metrics counted from the functions' log lines. */
  public readonly logMetrics: RouterLogMetrics;
  /** The functions' Powertools (EMF) metrics: requests, tokens, cost, fallbacks, breakers, outbox depth. */
  public readonly metrics: RouterMetrics;
  /** The alarms, unless `alarms.enabled` is false. */
  public readonly alarms?: RouterAlarms;
  /** Where alarms notify (given, or created for `alarmEmail`). */
  public readonly alarmTopic?: sns.ITopic;
  /** The dashboard, unless disabled. */
  public readonly dashboard?: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: RouterMonitoringProps) {
    super(scope, id);
    const options = props.alarms ?? {};
    const period = options.period ?? Duration.seconds(ALARM_DEFAULTS.periodSeconds);
    this.logMetrics = buildLogMetrics(this, { functionLogGroups: props.functionLogGroups, namePrefix: props.namePrefix, period });
    this.metrics = routerMetrics(props.namePrefix, period);

    if (options.enabled ?? ALARM_DEFAULTS.enabled) {
      this.alarmTopic = props.alarmTopic ?? (props.alarmEmail !== undefined ? buildAlarmTopic(this, props.alarmEmail) : undefined);
      this.alarms = buildRouterAlarms(this, {
        api: props.api,
        functions: props.functions,
        logMetrics: this.logMetrics,
        metrics: this.metrics,
        namePrefix: props.namePrefix,
        options,
      });
      if (this.alarmTopic) {
        const action = new cwActions.SnsAction(this.alarmTopic);
        for (const alarm of this.alarms.all) {
          alarm.addAlarmAction(action);
          alarm.addOkAction(action);
        }
      }
    }
    if (props.dashboard ?? ROUTER_DEFAULTS.dashboard) {
      this.dashboard = buildRouterDashboard(this, {
        api: props.api,
        functions: props.functions,
        logMetrics: this.logMetrics,
        metrics: this.metrics,
        providerIds: props.providerIds,
        namePrefix: props.namePrefix,
        alarms: this.alarms,
      });
    }
  }
}
