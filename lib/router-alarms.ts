/**
 * The CloudWatch alarms of one regional router (each description says what to do) and the
 * optional alarm topic. Built into `RouterMonitoring`'s scope; thresholds come from the options
 * and `ALARM_DEFAULTS`.
 */
import { Aws, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import type { Construct } from 'constructs';
import { ALARM_DEFAULTS } from './cheap-token-router-defaults';
import { ADMIN_ACTIONS } from './data-key';
import type { RouterLogMetrics } from './router-log-metrics';
import { METRIC_NAMES, type RouterMetrics } from './router-metrics';
import { ROUTER_FUNCTIONS, type RouterFunctionName } from './table-access';

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
  /**
   * Provider fallbacks (the Powertools `Fallbacks` metric, all models) per period at or above which the sustained fallback alarm breaches.
   *
   * @default 20
   */
  readonly fallbacksPerPeriod?: number;
}

/** The router's alarms in one region. */
export interface RouterAlarms {
  /** API Gateway 5XX responses above the rate threshold (sustained). */
  readonly apiServerErrors: cloudwatch.Alarm;
  /** API Gateway Latency p99 above the threshold (only when `apiLatencyP99` is set). */
  readonly apiLatencyP99?: cloudwatch.Alarm;
  /** Per function: Errors > 0 (sustained). */
  readonly functionErrors: Readonly<Record<RouterFunctionName, cloudwatch.Alarm>>;
  /** Per function: Throttles > 0. */
  readonly functionThrottles: Readonly<Record<RouterFunctionName, cloudwatch.Alarm>>;
  /** Per function: Duration p99 close to the timeout (sustained). */
  readonly functionDuration: Readonly<Record<RouterFunctionName, cloudwatch.Alarm>>;
  /** Any `usage record failed` log line: a served request was not metered. */
  readonly usageRecordFailed: cloudwatch.Alarm;
  /** Any `reservation settle failed` log line: a spend never reached the budget. */
  readonly reservationSettleFailed: cloudwatch.Alarm;
  /** Provider fallbacks (EMF `Fallbacks`) at or above the threshold (sustained). */
  readonly upstreamFallbacks: cloudwatch.Alarm;
  /** Every alarm above. */
  readonly all: readonly cloudwatch.Alarm[];
}

/** Props of {@link buildRouterAlarms}. */
export interface RouterAlarmsProps {
  /** The API whose stage metrics are watched. */
  readonly api: apigw.RestApi;
  /** The functions whose metrics are watched (their timeouts set the duration thresholds). */
  readonly functions: Readonly<Record<RouterFunctionName, lambda.Function>>;
  /** The log-derived metrics (lost usage records and settlements). */
  readonly logMetrics: RouterLogMetrics;
  /** The functions' Powertools (EMF) metrics. */
  readonly metrics: RouterMetrics;
  /** Prefix of the alarm names (`<namePrefix>-router-<alarm>`). */
  readonly namePrefix: string;
  /**
   * Thresholds and periods.
   *
   * @default - `ALARM_DEFAULTS`
   */
  readonly options?: RouterAlarmOptions;
}

/**
 * An SNS topic with an e-mail subscription. CloudWatch alarms cannot publish to a topic encrypted
 * with the AWS-managed `aws/sns` key (its policy cannot admit CloudWatch), and the data key stays
 * reserved for data; so the topic gets a small key of its own that admits CloudWatch alarms.
 */
export function buildAlarmTopic(scope: Construct, email: string): sns.Topic {
  const stack = Stack.of(scope);
  const cloudwatchPrincipal = new iam.ServicePrincipal('cloudwatch.amazonaws.com');
  const account = new iam.AccountRootPrincipal();
  const key = new kms.Key(scope, 'AlarmTopicKey', {
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
  const topic = new sns.Topic(scope, 'AlarmTopic', {
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

/** The alarms of one regional router, named `<namePrefix>-router-<alarm>`. */
export function buildRouterAlarms(scope: Construct, props: RouterAlarmsProps): RouterAlarms {
  const { api, functions, namePrefix, logMetrics } = props;
  const options = props.options ?? {};
  const period = options.period ?? Duration.seconds(ALARM_DEFAULTS.periodSeconds);
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
    new cloudwatch.Alarm(scope, id, {
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
      'A 502 from the router means every offer of a model failed: see "Provider fallbacks" on the dashboard and the providers\' status pages. ' +
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

  const functionErrors = {} as Record<RouterFunctionName, cloudwatch.Alarm>;
  const functionThrottles = {} as Record<RouterFunctionName, cloudwatch.Alarm>;
  const functionDuration = {} as Record<RouterFunctionName, cloudwatch.Alarm>;
  const percentOfTimeout = options.durationP99PercentOfTimeout ?? ALARM_DEFAULTS.durationP99PercentOfTimeout;
  for (const fnName of ROUTER_FUNCTIONS) {
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
        "Check the account's ConcurrentExecutions against its regional quota (long chat streams hold concurrency for their whole generation), " +
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
        'requests that reach the timeout are cut off. Check upstream provider latency and "Provider fallbacks" on the dashboard ' +
        '(each fallback adds an attempt) and DynamoDB latency; for long generations raise router.streamTimeout (at most 15 minutes).',
    );
  }

  const usageRecordFailed = alarm(
    'UsageRecordFailed',
    'usage-record-failed',
    logMetrics.usageRecordFailed,
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
    logMetrics.reservationSettleFailed,
    1,
    once,
    "Money at stake: a budget reservation could not be settled after every retry, so that request's spend never reached the " +
      'account\'s budget (the hold is later released without it). Filter the chat and api log groups for message = "reservation settle ' +
      'failed" (requestId, errorName) and check the limits table in the home region, which every region settles against. The same ' +
      'requestId\'s "request metered" line carries the account and cost that the budget is missing.',
  );

  const fallbacksPerPeriod = options.fallbacksPerPeriod ?? ALARM_DEFAULTS.fallbacksPerPeriod;
  const upstreamFallbacks = alarm(
    'UpstreamFallbacks',
    'upstream-fallbacks',
    props.metrics.total(METRIC_NAMES.fallbacks),
    fallbacksPerPeriod,
    sustained,
    `At least ${fallbacksPerPeriod} provider attempts failed per ${minutes}-minute period in ${window} (Powertools metric Fallbacks): ` +
      'requests are falling back to dearer or slower offers, or failing after the last one. The dashboard splits Fallbacks by model and ' +
      'provider; check that provider\'s status page and its credential in the provider secret, and the "upstream attempt failed" log ' +
      'lines (reason, upstreamStatus) in the chat and api log groups.',
  );

  const all = [
    apiServerErrors,
    ...(apiLatencyP99 ? [apiLatencyP99] : []),
    ...Object.values(functionErrors),
    ...Object.values(functionThrottles),
    ...Object.values(functionDuration),
    usageRecordFailed,
    reservationSettleFailed,
    upstreamFallbacks,
  ];
  return {
    apiServerErrors,
    apiLatencyP99,
    functionErrors,
    functionThrottles,
    functionDuration,
    usageRecordFailed,
    reservationSettleFailed,
    upstreamFallbacks,
    all,
  };
}
