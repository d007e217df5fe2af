/**
 * Monitoring of every regional router: alarms (API 5XX, each function's errors, throttles and
 * duration, the two money-loss log metrics), the metric filters on the functions' JSON log lines
 * (checked against lines the real `lambdas/core` code writes), the dashboard, the optional alarm
 * topic (KMS-encrypted, SSL-only, cdk-nag clean) and the toggles. Templates only, so esbuild
 * bundling is skipped. Alarms, filters and topics are found through the constructs that made them
 * or by their properties, never by a generated logical id.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Duration } from 'aws-cdk-lib';
import { Match } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { logAttemptFailure } from '../../lambdas/core/attempt-failures';
import { jsonLogger } from '../../lambdas/core/log';
import { finishMetering, type MeteringContext } from '../../lambdas/core/metering';
import { METRIC_NAMES, type MetricPoint, NO_METRICS, SERVICE_NAME, setProcessMetrics } from '../../lambdas/core/metrics';
import type { RouteCandidate } from '../../lambdas/core/routing';
import { UpstreamError } from '../../lambdas/domain/errors';
import type { UsageEvent } from '../../lambdas/domain/usage';
import type { CheapTokenRouter } from '../../lib/cheap-token-router';
import { ALARM_DEFAULTS, LOG_METRICS, METRIC_NAMESPACE, ROUTER_DEFAULTS } from '../../lib/cheap-token-router-defaults';
import { ROUTER_FUNCTIONS, type RouterFunctionName } from '../../lib/table-access';
import {
  expectProps,
  idsOf,
  idsWith,
  jsonIncludes,
  logicalIdOf,
  type SynthesizedRouter,
  standaloneRouter,
  synthesizeRouter,
} from './fixture';

const NAMESPACE = `${METRIC_NAMESPACE}/ctr`;

let s: SynthesizedRouter;
beforeAll(() => {
  s = synthesizeRouter({ bundling: false });
});

const routers = () =>
  Object.entries(s.stacks.routerStacks).map(([region, stack]) => ({ region, stack, router: stack.router, t: s.template(stack) }));

const functionOf = (router: CheapTokenRouter, name: RouterFunctionName) => router.functions[name];

/** Properties of an alarm on one metric of one function. */
const onFunction = (router: CheapTokenRouter, name: RouterFunctionName, metricName: string) => ({
  Namespace: 'AWS/Lambda',
  MetricName: metricName,
  Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalIdOf(functionOf(router, name)) } }],
});

/**
 * A dashboard body as widgets: the `Fn::Join` parts joined, each intrinsic (a `Ref` or `GetAtt`)
 * kept as its JSON text so references can be checked without knowing generated ids in advance.
 */
function dashboardWidgets(body: { 'Fn::Join': [string, unknown[]] }): any[] {
  const text = body['Fn::Join'][1].map((p) => (typeof p === 'string' ? p : JSON.stringify(p).replace(/["\\]/g, (c) => `\\${c}`))).join('');
  return (JSON.parse(text) as { widgets: any[] }).widgets;
}

/** What a metric filter pattern of the form `{ $.field = "value" }` matches: one JSON log line. */
function patternMatches(pattern: string, line: string): boolean {
  const m = /^\{ \$\.(\w+) = "([^"]*)" \}$/.exec(pattern);
  if (!m) throw new Error(`unexpected filter pattern ${pattern}`);
  const event = JSON.parse(line) as Record<string, unknown>;
  return event[m[1]!] === m[2];
}

describe('alarms in every router stack', () => {
  it('alarm on each function: errors (sustained) and throttles (any), and duration near the timeout', () => {
    for (const { region, t, router } of routers()) {
      t.resourceCountIs('AWS::Lambda::Function', ROUTER_FUNCTIONS.length);
      for (const name of ROUTER_FUNCTIONS) {
        for (const metricName of ['Errors', 'Throttles', 'Duration']) {
          expect(
            idsWith(t, 'AWS::CloudWatch::Alarm', onFunction(router, name, metricName)),
            `${region} ${name} ${metricName}`,
          ).toHaveLength(1);
        }
        expectProps(t, router.alarms!.functionErrors[name], {
          ...onFunction(router, name, 'Errors'),
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: ALARM_DEFAULTS.evaluationPeriods,
          DatapointsToAlarm: ALARM_DEFAULTS.datapointsToAlarm,
          TreatMissingData: 'notBreaching',
        });
        expectProps(t, router.alarms!.functionThrottles[name], {
          ...onFunction(router, name, 'Throttles'),
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
        });
        const timeout =
          name === 'chat'
            ? ROUTER_DEFAULTS.streamTimeoutSeconds
            : name === 'outbox'
              ? 60
              : name === 'erasure'
                ? 300
                : ROUTER_DEFAULTS.bufferedTimeoutSeconds;
        expectProps(t, router.alarms!.functionDuration[name], {
          ...onFunction(router, name, 'Duration'),
          ExtendedStatistic: 'p99',
          Threshold: (timeout * 1000 * ALARM_DEFAULTS.durationP99PercentOfTimeout) / 100,
        });
      }
    }
  });

  it('alarm on the API 5XX rate: a metric-math rate over 5XXError and Count of this API stage, sustained', () => {
    for (const { region, t, router } of routers()) {
      expect(idsWith(t, 'AWS::CloudWatch::Alarm', { Metrics: jsonIncludes('"MetricName":"5XXError"') }), region).toHaveLength(1);
      const stageMetric = (id: string, metricName: string) =>
        Match.objectLike({
          Id: id,
          MetricStat: Match.objectLike({
            Stat: 'Sum',
            Metric: {
              Namespace: 'AWS/ApiGateway',
              MetricName: metricName,
              Dimensions: [
                { Name: 'ApiName', Value: router.api.restApiName },
                { Name: 'Stage', Value: { Ref: logicalIdOf(router.api.deploymentStage) } },
              ],
            },
          }),
        });
      expectProps(t, router.alarms!.apiServerErrors, {
        Threshold: ALARM_DEFAULTS.apiErrorRatePercent,
        EvaluationPeriods: ALARM_DEFAULTS.evaluationPeriods,
        TreatMissingData: 'notBreaching',
        Metrics: Match.arrayWith([
          Match.objectLike({ Expression: `IF(errors >= ${ALARM_DEFAULTS.apiErrorMinCount}, 100 * errors / requests, 0)` }),
          stageMetric('errors', '5XXError'),
          stageMetric('requests', 'Count'),
        ]),
      });
      // The latency alarm is opt-in.
      expect(idsWith(t, 'AWS::CloudWatch::Alarm', { Namespace: 'AWS/ApiGateway', MetricName: 'Latency' }), region).toEqual([]);
    }
  });

  it('alarm on any lost usage record or budget settlement, from metric filters on every function log group', () => {
    for (const { region, t, router } of routers()) {
      for (const [key, { message, metricName }] of [
        ['usageRecordFailed', LOG_METRICS.usageRecordFailed],
        ['reservationSettleFailed', LOG_METRICS.reservationSettleFailed],
      ] as const) {
        // One filter per function log group, and no other filter for this metric.
        expect(
          idsWith(t, 'AWS::Logs::MetricFilter', { MetricTransformations: [Match.objectLike({ MetricName: metricName })] }),
          region,
        ).toHaveLength(ROUTER_FUNCTIONS.length);
        for (const name of ROUTER_FUNCTIONS) {
          const filter = {
            LogGroupName: { Ref: logicalIdOf(router.functionLogGroups[name]) },
            FilterPattern: `{ $.message = "${message}" }`,
            MetricTransformations: [Match.objectEquals({ MetricNamespace: NAMESPACE, MetricName: metricName, MetricValue: '1' })],
          };
          expect(idsWith(t, 'AWS::Logs::MetricFilter', filter), `${region} ${name} ${metricName}`).toHaveLength(1);
        }
        expect(
          idsWith(t, 'AWS::CloudWatch::Alarm', { Namespace: NAMESPACE, MetricName: metricName }),
          `${region} ${metricName}`,
        ).toHaveLength(1);
        expectProps(t, router.alarms![key], {
          Namespace: NAMESPACE,
          MetricName: metricName,
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
          AlarmDescription: Match.stringLikeRegexp('^Money at stake'),
        });
      }
    }
  });

  it('fallbacks are a Powertools metric (no log filter): a sustained alarm on the EMF total', () => {
    for (const { region, t } of routers()) {
      expect(
        idsWith(t, 'AWS::Logs::MetricFilter', { MetricTransformations: [Match.objectLike({ MetricName: 'UpstreamAttemptFailed' })] }),
        region,
      ).toEqual([]);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        AlarmName: 'ctr-router-upstream-fallbacks',
        Namespace: NAMESPACE,
        MetricName: METRIC_NAMES.fallbacks,
        Dimensions: [{ Name: 'service', Value: SERVICE_NAME }],
        Statistic: 'Sum',
        Threshold: ALARM_DEFAULTS.fallbacksPerPeriod,
        EvaluationPeriods: ALARM_DEFAULTS.evaluationPeriods,
        DatapointsToAlarm: ALARM_DEFAULTS.datapointsToAlarm,
      });
    }
  });

  it('every alarm is named, says what to do, and has no action by default', () => {
    for (const { region, t } of routers()) {
      // Three per function, three of the API, the fallbacks alarm, three of the queues (router-queues.ts).
      t.resourceCountIs('AWS::CloudWatch::Alarm', 3 * ROUTER_FUNCTIONS.length + 3 + 1 + 3);
      const namedWithRunbook = {
        AlarmName: Match.stringLikeRegexp('^ctr-router-'),
        // Long enough to say what to do (over 150 characters), within CloudWatch's 1024.
        AlarmDescription: Match.stringLikeRegexp('^[\\s\\S]{151,1024}$'),
        AlarmActions: Match.absent(),
      };
      expect(idsWith(t, 'AWS::CloudWatch::Alarm', namedWithRunbook), region).toEqual(idsOf(t, 'AWS::CloudWatch::Alarm'));
      t.resourceCountIs('AWS::SNS::Topic', 0);
    }
  });
});

describe('metric filters match what the router really logs', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  /** Log lines a call writes, through the same JSON logger the functions use. */
  async function linesOf(act: (log: ReturnType<typeof jsonLogger>) => Promise<void> | void): Promise<string[]> {
    const lines: string[] = [];
    await act(jsonLogger((l) => lines.push(l)));
    return lines;
  }

  /** The synthesized filter pattern of a log metric (the same in every filter of that metric, see above). */
  const patternFor = (metricName: string): string => {
    const t = s.template(Object.values(s.stacks.routerStacks)[0]!);
    const [filter] = Object.values(
      t.findResources('AWS::Logs::MetricFilter', { Properties: { MetricTransformations: [Match.objectLike({ MetricName: metricName })] } }),
    );
    return filter!.Properties.FilterPattern;
  };

  it('a usage record and a settlement that fail every retry each produce exactly one matching line', async () => {
    vi.useFakeTimers();
    const lines = await linesOf(async (log) => {
      const fail = async () => {
        throw Object.assign(new Error('store down'), { name: 'ProvisionedThroughputExceededException' });
      };
      const event = { requestId: 'req-1', costNanoUsd: 5, promptTokens: 1, completionTokens: 1 } as unknown as UsageEvent;
      const ctx = { caller: { accountId: 'acct', keyId: 'key' }, reservation: { settle: fail, rateLimit: {} } } as MeteringContext;
      const done = finishMetering({ recordUsage: fail, log }, event, ctx);
      await vi.runAllTimersAsync();
      await done;
    });
    for (const metricName of [LOG_METRICS.usageRecordFailed.metricName, LOG_METRICS.reservationSettleFailed.metricName]) {
      const pattern = patternFor(metricName);
      expect(
        lines.filter((l) => patternMatches(pattern, l)),
        metricName,
      ).toHaveLength(1);
    }
  });

  it('a failed provider attempt emits one Fallbacks record, by model and provider and in total (the alarm metric)', () => {
    const points: MetricPoint[] = [];
    setProcessMetrics({ emit: (p) => points.push(p) });
    try {
      const candidate = {
        model: { id: 'llama-70b' },
        offer: { provider: { id: 'groq' }, upstreamModel: 'llama' },
      } as unknown as RouteCandidate;
      logAttemptFailure(
        jsonLogger(() => undefined),
        'req-2',
        candidate,
        1,
        new UpstreamError('HTTP 503', 'http', 503),
      );
      logAttemptFailure(
        jsonLogger(() => undefined),
        'req-3',
        candidate,
        1,
        new UpstreamError('client left', 'aborted'),
      );
    } finally {
      setProcessMetrics(NO_METRICS);
    }
    expect(points).toEqual([
      {
        dimensionSets: [{ model: 'llama-70b', provider: 'groq' }, {}],
        values: [{ name: METRIC_NAMES.fallbacks, unit: 'Count', value: 1 }],
      },
    ]);
  });
});

describe('dashboard', () => {
  it('one per router stack, named for its region, with API, function and log-metric widgets', () => {
    for (const { region, t, router } of routers()) {
      t.resourceCountIs('AWS::CloudWatch::Dashboard', 1);
      expectProps(t, router.dashboard!, { DashboardName: `ctr-router-${region}` });
      // The body is one JSON string with intrinsics joined in; its widgets are read as data.
      const body = t.findResources('AWS::CloudWatch::Dashboard')[logicalIdOf(router.dashboard!)]!.Properties.DashboardBody;
      const widgets = dashboardWidgets(body);
      // Each metric line: [namespace, name, ...dimension name/value pairs, { stat, label }].
      const lines: any[][] = widgets.filter((w) => w.type === 'metric').flatMap((w) => w.properties.metrics);
      const has = (namespace: string, name: string, stat: string, dimension?: [string, string]) =>
        lines.some(
          (l) =>
            l[0] === namespace &&
            l[1] === name &&
            l.at(-1).stat === stat &&
            (!dimension || (l[2] === dimension[0] && l[3] === dimension[1])),
        );
      for (const [name, stat] of [
        ['Count', 'Sum'],
        ['4XXError', 'Sum'],
        ['5XXError', 'Sum'],
        ['Latency', 'p50'],
        ['Latency', 'p99'],
      ]) {
        expect(has('AWS/ApiGateway', name!, stat!), `${region} ${name} ${stat}`).toBe(true);
      }
      // The outbox depth as SQS counts it, and breaker state from the functions' EMF metrics.
      expect(
        lines.filter((l) => l[0] === 'AWS/SQS' && l[1] === 'ApproximateNumberOfMessagesVisible' && l.at(-1).stat === 'Maximum'),
      ).toHaveLength(3);
      expect(JSON.stringify(body)).toContain('BreakerOpen');
      for (const fn of ROUTER_FUNCTIONS) {
        const ref = JSON.stringify({ Ref: logicalIdOf(functionOf(router, fn)) });
        for (const [name, stat] of [
          ['Invocations', 'Sum'],
          ['Errors', 'Sum'],
          ['Duration', 'p99'],
          ['Throttles', 'Sum'],
        ]) {
          expect(has('AWS/Lambda', name!, stat!, ['FunctionName', ref]), `${region} ${fn} ${name}`).toBe(true);
        }
      }
      for (const { metricName } of Object.values(LOG_METRICS))
        expect(has(NAMESPACE, metricName, 'Sum'), `${region} ${metricName}`).toBe(true);
      for (const name of [
        METRIC_NAMES.requests,
        METRIC_NAMES.fallbacks,
        METRIC_NAMES.costUsd,
        METRIC_NAMES.promptTokens,
        METRIC_NAMES.completionTokens,
      ])
        expect(has(NAMESPACE, name, 'Sum', ['service', SERVICE_NAME]), `${region} ${name}`).toBe(true);
      // By model and provider: SEARCH expressions over the EMF dimension set.
      const searches = lines.filter((l) => typeof l.at(-1)?.expression === 'string').map((l) => l.at(-1).expression as string);
      for (const name of [METRIC_NAMES.requests, METRIC_NAMES.fallbacks, METRIC_NAMES.costUsd, METRIC_NAMES.breakerOpen]) {
        expect(
          searches.some((e) => e.includes(`{${NAMESPACE},service,model,provider} MetricName="${name}"`)),
          name,
        ).toBe(true);
      }
      // The alarm status widget lists every alarm.
      const alarmWidget = widgets.find((w) => w.type === 'alarm');
      expect(alarmWidget.properties.alarms.sort()).toEqual(
        idsOf(t, 'AWS::CloudWatch::Alarm')
          .filter((id) => !id.startsWith('RouterQueues'))
          .map((id) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] }))
          .sort(),
      );
    }
  });

  it('the construct exposes its alarms, dashboard and log metrics', () => {
    for (const stack of Object.values(s.stacks.routerStacks)) {
      const { router } = stack;
      expect(router.dashboard).toBeDefined();
      expect(router.alarms!.all).toHaveLength(3 * ROUTER_FUNCTIONS.length + 4);
      expect(Object.keys(router.alarms!.functionErrors).sort()).toEqual([...ROUTER_FUNCTIONS].sort());
      expect(router.alarms!.apiLatencyP99).toBeUndefined();
      expect(router.logMetrics.usageRecordFailed.namespace).toBe(NAMESPACE);
      expect(router.alarmTopic).toBeUndefined();
    }
  });
});

describe('alarm notifications', () => {
  let withTopics: SynthesizedRouter;
  let reports: {
    pluginName: string;
    conclusion: string;
    violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[];
  }[];
  const existingTopic = 'arn:aws:sns:eu-west-1:111111111111:ops-alarms';
  beforeAll(() => {
    withTopics = synthesizeRouter({
      nag: true,
      bundling: false,
      router: { alarmEmail: 'ops@example.com' },
      alarmTopicArns: { 'eu-west-1': existingTopic },
    });
    reports = JSON.parse(readFileSync(join(withTopics.outdir, 'validation-report.json'), 'utf8')).pluginReports;
  });

  it('alarmEmail: a KMS-encrypted, SSL-only topic per region that CloudWatch may publish to, notified on ALARM and OK', () => {
    for (const region of [withTopics.config.primaryRegion, 'ap-southeast-2']) {
      const { router } = withTopics.stacks.routerStacks[region]!;
      const t = withTopics.template(withTopics.stacks.routerStacks[region]!);
      t.resourceCountIs('AWS::SNS::Topic', 1);
      const topicId = logicalIdOf(router.alarmTopic!);
      const key = router.node.findChild('Monitoring').node.findChild('AlarmTopicKey');
      expectProps(t, router.alarmTopic!, { KmsMasterKeyId: { 'Fn::GetAtt': [logicalIdOf(key), 'Arn'] } });
      expectProps(t, key, {
        EnableKeyRotation: true,
        KeyPolicy: {
          Statement: Match.arrayWith([
            Match.objectLike({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
          ]),
        },
      });
      t.hasResourceProperties('AWS::SNS::TopicPolicy', {
        Topics: [{ Ref: topicId }],
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
            Match.objectLike({ Effect: 'Allow', Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: 'sns:Publish' }),
          ]),
        },
      });
      t.hasResourceProperties('AWS::SNS::Subscription', { Protocol: 'email', Endpoint: 'ops@example.com', TopicArn: { Ref: topicId } });
      const notifies = { AlarmActions: [{ Ref: topicId }], OKActions: [{ Ref: topicId }] };
      expect(idsWith(t, 'AWS::CloudWatch::Alarm', notifies), region).toEqual(idsOf(t, 'AWS::CloudWatch::Alarm'));
    }
  });

  it('alarmTopicArns: a region with an existing topic notifies it and creates none', () => {
    const t = withTopics.template(withTopics.stacks.routerStacks['eu-west-1']!);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.resourceCountIs('AWS::KMS::Key', 0);
    expect(idsWith(t, 'AWS::CloudWatch::Alarm', { AlarmActions: [existingTopic] })).toEqual(idsOf(t, 'AWS::CloudWatch::Alarm'));
  });

  it('a topic ARN from another region is refused', () => {
    expect(() =>
      synthesizeRouter({ bundling: false, alarmTopicArns: { 'eu-west-1': 'arn:aws:sns:us-east-1:111111111111:ops-alarms' } }),
    ).toThrow(/is in us-east-1, not in eu-west-1/);
  });

  it('cdk-nag: the topic and its key add no finding (SNS2, SNS3, KMS5 pass)', () => {
    const nag = reports.find((r) => r.pluginName === 'AwsSolutions')!;
    expect(nag.violations.map((v) => `${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`)).toEqual([]);
    expect(nag.conclusion).toBe('success');
  });
});

describe('monitoring options', () => {
  it('alarms and dashboard can be turned off (the log metrics stay)', () => {
    const { router, t } = standaloneRouter({ alarms: { enabled: false }, dashboard: false, alarmEmail: 'ops@example.com' });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    // Each function × the 2 money-loss messages (fallbacks are a Powertools metric now).
    t.resourceCountIs('AWS::Logs::MetricFilter', 2 * ROUTER_FUNCTIONS.length);
    expect(router.alarms).toBeUndefined();
    expect(router.dashboard).toBeUndefined();
  });

  it('thresholds and the optional latency alarm follow the props', () => {
    const { router, t } = standaloneRouter({
      alarms: {
        apiErrorRatePercent: 2,
        apiErrorMinCount: 10,
        evaluationPeriods: 5,
        datapointsToAlarm: 4,
        period: Duration.minutes(1),
        apiLatencyP99: Duration.seconds(20),
        durationP99PercentOfTimeout: 50,
      },
      streamTimeout: Duration.minutes(3), // above the providers' 120 s silence bound plus the metering margin
    });
    expect(router.alarms!.apiLatencyP99).toBeDefined();
    expectProps(t, router.alarms!.apiLatencyP99!, {
      MetricName: 'Latency',
      Namespace: 'AWS/ApiGateway',
      ExtendedStatistic: 'p99',
      Threshold: 20000,
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 4,
    });
    expectProps(t, router.alarms!.apiServerErrors, {
      Threshold: 2,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(errors >= 10, 100 * errors / requests, 0)' })]),
    });
    expectProps(t, router.alarms!.functionDuration.chat, { MetricName: 'Duration', Threshold: 90000 });
  });
});
