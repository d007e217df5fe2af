/**
 * `RouterMonitoring`: the CloudWatch side of one regional router — metric filters on the
 * functions' JSON log lines, alarms (each description says what to do), an optional alarm topic,
 * and a dashboard. `CheapTokenRouter` creates it; it provisions and wires only: thresholds come
 * from props and `ALARM_DEFAULTS`, log messages from `LOG_METRICS` (written by `lambdas/core`).
 */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import { Construct } from 'constructs';
import { ALARM_DEFAULTS, LOG_METRICS, METRIC_NAMESPACE } from './cheap-token-router-defaults';
import { ADMIN_ACTIONS } from './data-key';
import type { RouterFunction } from './table-access';

/** Alarm options of `CheapTokenRouterProps.alarms`. */
export interface RouterAlarmOptions {
  /**
   * Create the alarms. They notify only when `alarmTopic` or `alarmEmail` is set; without either
   * they still change state in the console and on the dashboard.
   *
   * @default true
   */
  readonly enabled?: boolean;
  /**
   * Period of every alarm's metric.
   *
   * @default Duration.minutes(5)
   */
  readonly period?: Duration;
  /**
   * Periods looked at by the sustained alarms (API 5XX rate, function errors, function duration).
   *
   * @default 3
   */
  readonly evaluationPeriods?: number;
  /**
   * Breaching periods (of `evaluationPeriods`) that fire a sustained alarm.
   *
   * @default 2
   */
  readonly datapointsToAlarm?: number;
  /**
   * API Gateway 5XX responses, as a percentage of the period's requests, above which the API alarm breaches.
   *
   * @default 5
   */
  readonly apiErrorRatePercent?: number;
  /**
   * Fewest 5XX responses in a period for the rate to count (a single failed request on a quiet API does not page).
   *
   * @default 3
   */
  readonly apiErrorMinCount?: number;
  /**
   * API Gateway Latency p99 above which a latency alarm breaches. Streamed chat requests count their
   * whole generation as latency, so pick a value from the dashboard once real traffic flows.
   *
   * @default - no latency alarm
   */
  readonly apiLatencyP99?: Duration;
  /**
   * A function's Duration p99 above this percentage of its timeout breaches.
   *
   * @default 80
   */
  readonly durationP99PercentOfTimeout?: number;
}

/** Props of {@link RouterMonitoring}. */
export interface RouterMonitoringProps {
  readonly api: apigw.RestApi;
  readonly functions: Readonly<Record<RouterFunction, lambda.Function>>;
  /** Each function's JSON log group (the metric filters read these). */
  readonly functionLogGroups: Readonly<Record<RouterFunction, logs.ILogGroup>>;
  /** Provider ids of the config: one line each in the upstream-failure widget. */
  readonly providerIds: readonly string[];
  readonly namePrefix: string;
  readonly alarms?: RouterAlarmOptions;
  /** Create the dashboard. */
  readonly dashboard: boolean;
  readonly alarmTopic?: sns.ITopic;
  readonly alarmEmail?: string;
}

/** The router's alarms in one region. */
export interface RouterAlarms {
  /** API Gateway 5XX responses above the rate threshold (sustained). */
  readonly apiServerErrors: cloudwatch.Alarm;
  /** API Gateway Latency p99 above the threshold (only when `apiLatencyP99` is set). */
  readonly apiLatencyP99?: cloudwatch.Alarm;
  /** Per function: Errors > 0 (sustained). */
  readonly functionErrors: Readonly<Record<RouterFunction, cloudwatch.Alarm>>;
  /** Per function: Throttles > 0. */
  readonly functionThrottles: Readonly<Record<RouterFunction, cloudwatch.Alarm>>;
  /** Per function: Duration p99 close to the timeout (sustained). */
  readonly functionDuration: Readonly<Record<RouterFunction, cloudwatch.Alarm>>;
  /** Any `usage record failed` log line: a served request was not metered. */
  readonly usageRecordFailed: cloudwatch.Alarm;
  /** Any `reservation settle failed` log line: a spend never reached the budget. */
  readonly reservationSettleFailed: cloudwatch.Alarm;
  /** Every alarm above. */
  readonly all: readonly cloudwatch.Alarm[];
}

/** Metrics counted from the router's own log lines (namespace `CheapTokenRouter/<namePrefix>`). */
export interface RouterLogMetrics {
  readonly usageRecordFailed: cloudwatch.Metric;
  readonly reservationSettleFailed: cloudwatch.Metric;
  /** Every failed provider attempt; `upstreamAttemptFailedBy(provider)` splits it by provider id. */
  readonly upstreamAttemptFailed: cloudwatch.Metric;
  readonly upstreamAttemptFailedBy: (providerId: string) => cloudwatch.Metric;
}

const FUNCTIONS: readonly RouterFunction[] = ['chat', 'api', 'admin'];

/** Metric filters, alarms, alarm topic and dashboard of one regional router. */
export class RouterMonitoring extends Construct {
  public readonly logMetrics: RouterLogMetrics;
  /** The alarms, unless `alarms.enabled` is false. */
  public readonly alarms?: RouterAlarms;
  /** Where alarms notify (given, or created for `alarmEmail`). */
  public readonly alarmTopic?: sns.ITopic;
  /** The dashboard, unless disabled. */
  public readonly dashboard?: cloudwatch.Dashboard;

  private readonly props: RouterMonitoringProps;
  private readonly period: Duration;

  constructor(scope: Construct, id: string, props: RouterMonitoringProps) {
    super(scope, id);
    this.props = props;
    const options = props.alarms ?? {};
    this.period = options.period ?? Duration.seconds(ALARM_DEFAULTS.periodSeconds);
    this.logMetrics = this.addLogMetrics();

    if (options.enabled ?? ALARM_DEFAULTS.enabled) {
      this.alarmTopic = props.alarmTopic ?? (props.alarmEmail !== undefined ? this.addAlarmTopic(props.alarmEmail) : undefined);
      this.alarms = this.addAlarms(options);
      if (this.alarmTopic) {
        const action = new cwActions.SnsAction(this.alarmTopic);
        for (const alarm of this.alarms.all) {
          alarm.addAlarmAction(action);
          alarm.addOkAction(action);
        }
      }
    }
    if (props.dashboard) this.dashboard = this.addDashboard();
  }

  /**
   * One metric filter per function log group and log message. The functions write one JSON object per
   * line (`lambdas/core/log.ts`), so the pattern matches the `message` field exactly, never a substring.
   */
  private addLogMetrics(): RouterLogMetrics {
    const namespace = `${METRIC_NAMESPACE}/${this.props.namePrefix}`;
    const pattern = (message: string) => logs.FilterPattern.stringValue('$.message', '=', message);
    for (const fn of FUNCTIONS) {
      const logGroup = this.props.functionLogGroups[fn];
      const pascal = fn.charAt(0).toUpperCase() + fn.slice(1);
      for (const [key, { message, metricName }] of Object.entries(LOG_METRICS)) {
        new logs.MetricFilter(this, `${pascal}${metricName}`, {
          logGroup,
          filterPattern: pattern(message),
          metricNamespace: namespace,
          metricName,
          metricValue: '1',
        });
        if (key === 'upstreamAttemptFailed') {
          new logs.MetricFilter(this, `${pascal}${metricName}ByProvider`, {
            logGroup,
            filterPattern: pattern(message),
            metricNamespace: namespace,
            metricName,
            metricValue: '1',
            dimensions: { Provider: '$.provider' },
          });
        }
      }
    }
    // No labels here: a labelled metric would turn each alarm into a metric-math alarm.
    const metric = (metricName: string, dimensionsMap?: Record<string, string>) =>
      new cloudwatch.Metric({ namespace, metricName, dimensionsMap, statistic: cloudwatch.Stats.SUM, period: this.period });
    return {
      usageRecordFailed: metric(LOG_METRICS.usageRecordFailed.metricName),
      reservationSettleFailed: metric(LOG_METRICS.reservationSettleFailed.metricName),
      upstreamAttemptFailed: metric(LOG_METRICS.upstreamAttemptFailed.metricName),
      upstreamAttemptFailedBy: (providerId) => metric(LOG_METRICS.upstreamAttemptFailed.metricName, { Provider: providerId }),
    };
  }

  /**
   * An SNS topic with an e-mail subscription. CloudWatch alarms cannot publish to a topic encrypted
   * with the AWS-managed `aws/sns` key (its policy cannot admit CloudWatch), and the data key stays
   * reserved for data; so the topic gets a small key of its own that admits CloudWatch alarms.
   */
  private addAlarmTopic(email: string): sns.ITopic {
    const stack = Stack.of(this);
    const cloudwatchPrincipal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
    const account = new iam.AccountRootPrincipal();
    const key = new kms.Key(this, 'AlarmTopicKey', {
      description: 'Cheap Token Router: encrypts the alarm topic (alarm notifications only, no data)',
      enableKeyRotation: true,
      pendingWindow: Duration.days(7),
      removalPolicy: RemovalPolicy.DESTROY,
      policy: new iam.PolicyDocument({
        statements: [
          new iam.PolicyStatement({ sid: 'KeyAdministrationByAccount', principals: [account], actions: ADMIN_ACTIONS, resources: ['*'] }),
          new iam.PolicyStatement({
            sid: 'KeyUseDelegatedToIam',
            principals: [account],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:DescribeKey'],
            resources: ['*'],
          }),
          new iam.PolicyStatement({
            sid: 'CloudWatchAlarmsPublish',
            principals: [cloudwatchPrincipal],
            actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
            resources: ['*'],
          }),
        ],
      }),
    });
    const topic = new sns.Topic(this, 'AlarmTopic', {
      displayName: `Cheap Token Router alarms (${stack.region})`,
      masterKey: key,
      enforceSSL: true,
    });
    topic.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchAlarmsPublish',
        principals: [cloudwatchPrincipal],
        actions: ['sns:Publish'],
        resources: [topic.topicArn],
        conditions: {
          StringEquals: { 'aws:SourceAccount': Aws.ACCOUNT_ID },
          ArnLike: { 'aws:SourceArn': `arn:${Aws.PARTITION}:cloudwatch:${Aws.REGION}:${Aws.ACCOUNT_ID}:alarm:*` },
        },
      }),
    );
    topic.addSubscription(new subscriptions.EmailSubscription(email));
    return topic;
  }

  private addAlarms(options: RouterAlarmOptions): RouterAlarms {
    const { api, functions, namePrefix } = this.props;
    const period = this.period;
    const evaluationPeriods = options.evaluationPeriods ?? ALARM_DEFAULTS.evaluationPeriods;
    const datapointsToAlarm = options.datapointsToAlarm ?? ALARM_DEFAULTS.datapointsToAlarm;
    const sustained = { evaluationPeriods, datapointsToAlarm };
    const once = { evaluationPeriods: 1, datapointsToAlarm: 1 };
    const minutes = period.toMinutes({ integral: false });
    const window = `${datapointsToAlarm} of the last ${evaluationPeriods} ${minutes}-minute periods`;
    const stage = api.deploymentStage;
    const name = (suffix: string) => `${namePrefix}-router-${suffix}`;
    const alarm = (
      id: string,
      suffix: string,
      metric: cloudwatch.IMetric,
      threshold: number,
      evaluation: { evaluationPeriods: number; datapointsToAlarm: number },
      description: string,
    ) =>
      new cloudwatch.Alarm(this, id, {
        alarmName: name(suffix),
        alarmDescription: description,
        metric,
        threshold,
        ...evaluation,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD,
        // No traffic is not a failure: quiet periods keep the alarm OK.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });

    const ratePercent = options.apiErrorRatePercent ?? ALARM_DEFAULTS.apiErrorRatePercent;
    const minCount = options.apiErrorMinCount ?? ALARM_DEFAULTS.apiErrorMinCount;
    const errorRate = new cloudwatch.MathExpression({
      expression: `IF(errors >= ${minCount}, 100 * errors / requests, 0)`,
      usingMetrics: {
        errors: stage.metricServerError({ statistic: cloudwatch.Stats.SUM, period }),
        requests: stage.metricCount({ statistic: cloudwatch.Stats.SUM, period }),
      },
      period,
      label: 'API 5XX rate (%)',
    });
    const apiServerErrors = alarm(
      'ApiServerErrors',
      'api-5xx-rate',
      errorRate,
      ratePercent,
      sustained,
      `At least ${ratePercent}% of API requests (and at least ${minCount}) answered 5XX in ${window}. ` +
        'A 502 from the router means every offer of a model failed: see "Upstream attempt failures" on the dashboard and the providers\' status pages. ' +
        'A 500/503/504 from API Gateway means function errors, throttles or integration timeouts: see the function alarms and the API-Gateway-Execution-Logs log group. ' +
        'A 503 from the functions in a replica region can mean the home region (rate-limit and budget counters) is unreachable.',
    );

    let apiLatencyP99: cloudwatch.Alarm | undefined;
    const defaultLatencyMs: number | undefined = ALARM_DEFAULTS.apiLatencyP99Ms;
    const latencyThreshold = options.apiLatencyP99 ?? (defaultLatencyMs === undefined ? undefined : Duration.millis(defaultLatencyMs));
    if (latencyThreshold !== undefined) {
      const ms = latencyThreshold.toMilliseconds();
      apiLatencyP99 = alarm(
        'ApiLatencyP99',
        'api-latency-p99',
        stage.metricLatency({ statistic: cloudwatch.Stats.p(99), period }),
        ms,
        sustained,
        `API Gateway Latency p99 was at least ${ms} ms in ${window}. Compare IntegrationLatency and the functions' Duration on the dashboard: ` +
          'if the functions are slow, check upstream provider latency and failures (fallbacks add a full attempt each); ' +
          'if only the gateway is slow, check API Gateway throttling and the WAF. Streamed chat requests count their whole generation.',
      );
    }

    const functionErrors = {} as Record<RouterFunction, cloudwatch.Alarm>;
    const functionThrottles = {} as Record<RouterFunction, cloudwatch.Alarm>;
    const functionDuration = {} as Record<RouterFunction, cloudwatch.Alarm>;
    const percentOfTimeout = options.durationP99PercentOfTimeout ?? ALARM_DEFAULTS.durationP99PercentOfTimeout;
    for (const fnName of FUNCTIONS) {
      const fn = functions[fnName];
      const pascal = fnName.charAt(0).toUpperCase() + fnName.slice(1);
      functionErrors[fnName] = alarm(
        `${pascal}Errors`,
        `${fnName}-errors`,
        fn.metricErrors({ statistic: cloudwatch.Stats.SUM, period }),
        1,
        sustained,
        `The ${fnName} function failed invocations in ${window}. The handlers answer request errors themselves, so these are crashes, ` +
          'timeouts ("Task timed out") or out-of-memory errors: read the function\'s log group for level ERROR lines and the platform report, ' +
          'check the latest deployment, and roll back if it started with one.',
      );
      functionThrottles[fnName] = alarm(
        `${pascal}Throttles`,
        `${fnName}-throttles`,
        fn.metricThrottles({ statistic: cloudwatch.Stats.SUM, period }),
        1,
        once,
        `Lambda refused invocations of the ${fnName} function for lack of concurrency in the last ${minutes} minutes; those clients got an error. ` +
          'Check the account\'s ConcurrentExecutions against its regional quota (long chat streams hold concurrency for their whole generation), ' +
          'request a quota increase, or lower the stage throttling (router.throttlingRateLimit / throttlingBurstLimit).',
      );
      const timeoutMs = (fn.timeout ?? Duration.seconds(3)).toMilliseconds();
      const thresholdMs = Math.round((timeoutMs * percentOfTimeout) / 100);
      functionDuration[fnName] = alarm(
        `${pascal}DurationP99`,
        `${fnName}-duration-p99`,
        fn.metricDuration({ statistic: cloudwatch.Stats.p(99), period }),
        thresholdMs,
        sustained,
        `The ${fnName} function's Duration p99 was at least ${percentOfTimeout}% of its ${timeoutMs / 1000} s timeout in ${window}; ` +
          'requests that reach the timeout are cut off. Check upstream provider latency and "Upstream attempt failures" on the dashboard ' +
          '(each fallback adds an attempt) and DynamoDB latency; for long generations raise router.streamTimeout (at most 15 minutes).',
      );
    }

    const usageRecordFailed = alarm(
      'UsageRecordFailed',
      'usage-record-failed',
      this.logMetrics.usageRecordFailed,
      1,
      once,
      'Money at stake: a request was served but its usage record could not be written after every retry, so it is missing from usage ' +
        'and cost reports. In CloudWatch Logs Insights over the chat and api log groups, filter message = "usage record failed" for the ' +
        'requestId and errorName (throttling, AccessDenied, KMS key state) and fix the cause. The same requestId\'s "request metered" line ' +
        'carries its account, tokens and cost, to reconcile by hand.',
    );
    const reservationSettleFailed = alarm(
      'ReservationSettleFailed',
      'reservation-settle-failed',
      this.logMetrics.reservationSettleFailed,
      1,
      once,
      'Money at stake: a budget reservation could not be settled after every retry, so that request\'s spend never reached the ' +
        'account\'s budget (the hold is later released without it). Filter the chat and api log groups for message = "reservation settle ' +
        'failed" (requestId, errorName) and check the limits table in the home region, which every region settles against. The same ' +
        'requestId\'s "request metered" line carries the account and cost that the budget is missing.',
    );

    const all = [
      apiServerErrors,
      ...(apiLatencyP99 ? [apiLatencyP99] : []),
      ...Object.values(functionErrors),
      ...Object.values(functionThrottles),
      ...Object.values(functionDuration),
      usageRecordFailed,
      reservationSettleFailed,
    ];
    return { apiServerErrors, apiLatencyP99, functionErrors, functionThrottles, functionDuration, usageRecordFailed, reservationSettleFailed, all };
  }

  private addDashboard(): cloudwatch.Dashboard {
    const { api, functions, namePrefix, providerIds } = this.props;
    const stack = Stack.of(this);
    const stage = api.deploymentStage;
    const period = Duration.minutes(5);
    const graph = (title: string, left: cloudwatch.IMetric[], extra: Partial<cloudwatch.GraphWidgetProps> = {}) =>
      new cloudwatch.GraphWidget({ title, left, width: 8, height: 6, period, ...extra });
    const perFunction = (metric: (fn: lambda.Function) => cloudwatch.Metric) => FUNCTIONS.map((name) => metric(functions[name]).with({ label: name }));
    const withLabel = (name: string, m: cloudwatch.Metric) => m.with({ label: name });

    const dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${namePrefix}-router-${stack.region}`,
      defaultInterval: Duration.hours(3),
    });
    dashboard.addWidgets(
      new cloudwatch.TextWidget({
        markdown:
          `# Cheap Token Router — ${stack.region}\n` +
          'API Gateway stage, the chat / api / admin functions, and metrics counted from the router\'s own log lines. ' +
          'Usage-record and settle failures are money lost; upstream attempt failures are provider errors (each one a fallback or, after the last offer, a 502).',
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
      graph('Function invocations', perFunction((fn) => fn.metricInvocations({ statistic: cloudwatch.Stats.SUM })), { width: 6 }),
      graph('Function errors', perFunction((fn) => fn.metricErrors({ statistic: cloudwatch.Stats.SUM })), { width: 6 }),
      graph(
        'Function duration p99 (ms)',
        perFunction((fn) => fn.metricDuration({ statistic: cloudwatch.Stats.p(99) })),
        { width: 6 },
      ),
      graph('Function throttles', perFunction((fn) => fn.metricThrottles({ statistic: cloudwatch.Stats.SUM })), { width: 6 }),
    );
    dashboard.addWidgets(
      graph('Usage records lost (money)', [withLabel('usage record failed', this.logMetrics.usageRecordFailed)]),
      graph('Budget settlements lost (money)', [withLabel('reservation settle failed', this.logMetrics.reservationSettleFailed)]),
      graph('Upstream attempt failures', [
        withLabel('all providers', this.logMetrics.upstreamAttemptFailed),
        ...providerIds.map((id) => withLabel(id, this.logMetrics.upstreamAttemptFailedBy(id))),
      ]),
    );
    if (this.alarms) {
      dashboard.addWidgets(new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: [...this.alarms.all], width: 24, height: 4 }));
    }
    return dashboard;
  }
}
