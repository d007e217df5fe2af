/**
 * Monitoring of every regional router: alarms (API 5XX, each function's errors, throttles and
 * duration, the two money-loss log metrics), the metric filters on the functions' JSON log lines
 * (checked against lines the real `lambdas/core` code writes), the dashboard, the optional alarm
 * topic (KMS-encrypted, SSL-only, cdk-nag clean) and the toggles. Templates only, so esbuild
 * bundling is skipped.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { App, Duration, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { logAttemptFailure } from '../../lambdas/core/attempt-failures';
import { jsonLogger } from '../../lambdas/core/log';
import { finishMetering, type MeteringContext } from '../../lambdas/core/metering';
import type { RouteCandidate } from '../../lambdas/core/routing';
import { CheapTokenRouter } from '../../lib/cheap-token-router';
import { ALARM_DEFAULTS, LOG_METRICS, METRIC_NAMESPACE, ROUTER_DEFAULTS } from '../../lib/cheap-token-router-defaults';
import { resourcesOf, synthesizeRouter, type CfnResourceJson, type SynthesizedRouter } from './fixture';
import { UpstreamError } from '../../lambdas/domain/errors';
import type { UsageEvent } from '../../lambdas/domain/usage';

const NAMESPACE = `${METRIC_NAMESPACE}/ctr`;

let s: SynthesizedRouter;
beforeAll(() => {
  s = synthesizeRouter({ bundling: false });
});

const routers = () => Object.entries(s.stacks.routerStacks).map(([region, stack]) => ({ region, stack, t: s.template(stack) }));

/** Each function's logical id by its name (from its role's description, no generated ids assumed). */
function functionIds(t: Template): Map<string, string> {
  const roles = new Map(resourcesOf(t, 'AWS::IAM::Role'));
  const out = new Map<string, string>();
  for (const [id, fn] of resourcesOf(t, 'AWS::Lambda::Function')) {
    const role = roles.get(fn.Properties.Role['Fn::GetAtt'][0])!;
    out.set(/Cheap Token Router (\w+) function/.exec(role.Properties.Description)![1]!, id);
  }
  return out;
}

const alarms = (t: Template) => resourcesOf(t, 'AWS::CloudWatch::Alarm').map(([, a]) => a.Properties);

/** Single-metric alarms on a metric (namespace, name, and optionally a dimension Ref). */
function alarmsOn(t: Template, namespace: string, metricName: string, dimensionRef?: string): CfnResourceJson['Properties'][] {
  return alarms(t).filter(
    (a) => a.Namespace === namespace && a.MetricName === metricName && (dimensionRef === undefined || JSON.stringify(a.Dimensions ?? []).includes(`{"Ref":"${dimensionRef}"}`)),
  );
}

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
    for (const { region, t } of routers()) {
      const fns = functionIds(t);
      expect([...fns.keys()].sort(), region).toEqual(['admin', 'api', 'chat']);
      for (const [name, id] of fns) {
        const [errors, ...moreErrors] = alarmsOn(t, 'AWS/Lambda', 'Errors', id);
        expect(moreErrors, `${region} ${name}`).toEqual([]);
        expect(errors, `${region} ${name} errors`).toMatchObject({
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: ALARM_DEFAULTS.evaluationPeriods,
          DatapointsToAlarm: ALARM_DEFAULTS.datapointsToAlarm,
          TreatMissingData: 'notBreaching',
        });
        const throttles = alarmsOn(t, 'AWS/Lambda', 'Throttles', id);
        expect(throttles, `${region} ${name} throttles`).toHaveLength(1);
        expect(throttles[0]).toMatchObject({ Statistic: 'Sum', Threshold: 1, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 1 });
        const duration = alarmsOn(t, 'AWS/Lambda', 'Duration', id);
        expect(duration, `${region} ${name} duration`).toHaveLength(1);
        const timeout = name === 'chat' ? ROUTER_DEFAULTS.streamTimeoutSeconds : ROUTER_DEFAULTS.bufferedTimeoutSeconds;
        expect(duration[0]).toMatchObject({ ExtendedStatistic: 'p99', Threshold: (timeout * 1000 * ALARM_DEFAULTS.durationP99PercentOfTimeout) / 100 });
      }
    }
  });

  it('alarm on the API 5XX rate: a metric-math rate over 5XXError and Count of this API stage, sustained', () => {
    for (const { region, t } of routers()) {
      const [[, api]] = resourcesOf(t, 'AWS::ApiGateway::RestApi') as [[string, CfnResourceJson]];
      const rate = alarms(t).filter((a) => JSON.stringify(a.Metrics ?? []).includes('"MetricName":"5XXError"'));
      expect(rate, region).toHaveLength(1);
      const alarm = rate[0]!;
      expect(alarm).toMatchObject({ Threshold: ALARM_DEFAULTS.apiErrorRatePercent, EvaluationPeriods: ALARM_DEFAULTS.evaluationPeriods, TreatMissingData: 'notBreaching' });
      const metrics = alarm.Metrics as any[];
      const expression = metrics.find((m) => m.Expression);
      expect(expression.Expression).toBe(`IF(errors >= ${ALARM_DEFAULTS.apiErrorMinCount}, 100 * errors / requests, 0)`);
      for (const [id, metricName] of [
        ['errors', '5XXError'],
        ['requests', 'Count'],
      ] as const) {
        const stat = metrics.find((m) => m.Id === id).MetricStat;
        expect(stat.Stat).toBe('Sum');
        expect(stat.Metric).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: metricName });
        expect(stat.Metric.Dimensions).toContainEqual({ Name: 'ApiName', Value: api.Properties.Name });
        expect(stat.Metric.Dimensions.map((d: any) => d.Name).sort()).toEqual(['ApiName', 'Stage']);
      }
      // The latency alarm is opt-in.
      expect(alarmsOn(t, 'AWS/ApiGateway', 'Latency'), region).toEqual([]);
    }
  });

  it('alarm on any lost usage record or budget settlement, from metric filters on every function log group', () => {
    for (const { region, t } of routers()) {
      const fnLogGroups = resourcesOf(t, 'AWS::Lambda::Function').map(([, fn]) => fn.Properties.LoggingConfig.LogGroup.Ref as string);
      const filters = resourcesOf(t, 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
      for (const { message, metricName } of [LOG_METRICS.usageRecordFailed, LOG_METRICS.reservationSettleFailed]) {
        const mine = filters.filter((f) => f.MetricTransformations[0].MetricName === metricName);
        expect(mine.map((f) => f.LogGroupName.Ref).sort(), `${region} ${metricName}`).toEqual([...fnLogGroups].sort());
        for (const f of mine) {
          expect(f.FilterPattern).toBe(`{ $.message = "${message}" }`);
          expect(f.MetricTransformations).toEqual([{ MetricNamespace: NAMESPACE, MetricName: metricName, MetricValue: '1' }]);
        }
        const alarm = alarmsOn(t, NAMESPACE, metricName);
        expect(alarm, `${region} ${metricName}`).toHaveLength(1);
        expect(alarm[0]).toMatchObject({
          Statistic: 'Sum',
          Threshold: 1,
          ComparisonOperator: 'GreaterThanOrEqualToThreshold',
          EvaluationPeriods: 1,
          TreatMissingData: 'notBreaching',
        });
        expect(alarm[0]!.AlarmDescription).toMatch(/^Money at stake/);
      }
    }
  });

  it('counts upstream attempt failures in total and by provider (for the dashboard, no alarm)', () => {
    for (const { region, t } of routers()) {
      const { metricName, message } = LOG_METRICS.upstreamAttemptFailed;
      const mine = resourcesOf(t, 'AWS::Logs::MetricFilter')
        .map(([, f]) => f.Properties)
        .filter((f) => f.MetricTransformations[0].MetricName === metricName);
      expect(mine, region).toHaveLength(6);
      for (const f of mine) expect(f.FilterPattern).toBe(`{ $.message = "${message}" }`);
      expect(mine.filter((f) => JSON.stringify(f.MetricTransformations[0].Dimensions) === JSON.stringify([{ Key: 'Provider', Value: '$.provider' }]))).toHaveLength(3);
      expect(alarmsOn(t, NAMESPACE, metricName)).toEqual([]);
    }
  });

  it('every alarm is named, says what to do, and has no action by default', () => {
    for (const { region, t } of routers()) {
      const all = alarms(t);
      expect(all.length, region).toBe(3 * 3 + 3);
      for (const a of all) {
        expect(a.AlarmName, region).toMatch(/^ctr-router-/);
        expect(a.AlarmDescription.length, a.AlarmName).toBeGreaterThan(150);
        expect(a.AlarmDescription.length, a.AlarmName).toBeLessThanOrEqual(1024);
        expect(a.AlarmActions, a.AlarmName).toBeUndefined();
      }
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

  const filterPatterns = () => resourcesOf(s.template(Object.values(s.stacks.routerStacks)[0]!), 'AWS::Logs::MetricFilter').map(([, f]) => f.Properties);
  const patternFor = (metricName: string) => filterPatterns().find((f) => f.MetricTransformations[0].MetricName === metricName)!.FilterPattern as string;

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
      expect(lines.filter((l) => patternMatches(pattern, l)), metricName).toHaveLength(1);
    }
    // Other lines (none expected here) would not count.
    expect(lines.filter((l) => patternMatches(patternFor(LOG_METRICS.upstreamAttemptFailed.metricName), l))).toEqual([]);
  });

  it('a failed provider attempt produces one matching line that names the provider (the metric dimension)', async () => {
    const candidate = { offer: { provider: { id: 'groq' }, upstreamModel: 'llama' } } as unknown as RouteCandidate;
    const lines = await linesOf((log) => logAttemptFailure(log, 'req-2', candidate, 1, new UpstreamError('HTTP 503', 'http', 503)));
    const pattern = patternFor(LOG_METRICS.upstreamAttemptFailed.metricName);
    const matched = lines.filter((l) => patternMatches(pattern, l));
    expect(matched).toHaveLength(1);
    expect(JSON.parse(matched[0]!).provider).toBe('groq');
    expect(patternMatches(patternFor(LOG_METRICS.usageRecordFailed.metricName), matched[0]!)).toBe(false);
  });
});

describe('dashboard', () => {
  it('one per router stack, named for its region, with API, function and log-metric widgets', () => {
    for (const { region, t } of routers()) {
      const dashboards = resourcesOf(t, 'AWS::CloudWatch::Dashboard');
      expect(dashboards, region).toHaveLength(1);
      const [, dashboard] = dashboards[0]!;
      expect(dashboard.Properties.DashboardName).toBe(`ctr-router-${region}`);
      const widgets = dashboardWidgets(dashboard.Properties.DashboardBody);
      // Each metric line: [namespace, name, ...dimension name/value pairs, { stat, label }].
      const lines: any[][] = widgets.filter((w) => w.type === 'metric').flatMap((w) => w.properties.metrics);
      const has = (namespace: string, name: string, stat: string, dimension?: [string, string]) =>
        lines.some((l) => l[0] === namespace && l[1] === name && l.at(-1).stat === stat && (!dimension || (l[2] === dimension[0] && l[3] === dimension[1])));
      for (const [name, stat] of [['Count', 'Sum'], ['4XXError', 'Sum'], ['5XXError', 'Sum'], ['Latency', 'p50'], ['Latency', 'p99']]) {
        expect(has('AWS/ApiGateway', name!, stat!), `${region} ${name} ${stat}`).toBe(true);
      }
      for (const [fn, id] of functionIds(t)) {
        for (const [name, stat] of [['Invocations', 'Sum'], ['Errors', 'Sum'], ['Duration', 'p99'], ['Throttles', 'Sum']]) {
          expect(has('AWS/Lambda', name!, stat!, ['FunctionName', JSON.stringify({ Ref: id })]), `${region} ${fn} ${name}`).toBe(true);
        }
      }
      for (const { metricName } of Object.values(LOG_METRICS)) expect(has(NAMESPACE, metricName, 'Sum'), `${region} ${metricName}`).toBe(true);
      for (const provider of s.config.providers) {
        expect(has(NAMESPACE, LOG_METRICS.upstreamAttemptFailed.metricName, 'Sum', ['Provider', provider.id]), provider.id).toBe(true);
      }
      // The alarm status widget lists every alarm.
      const alarmWidget = widgets.find((w) => w.type === 'alarm');
      expect(alarmWidget.properties.alarms.sort()).toEqual(resourcesOf(t, 'AWS::CloudWatch::Alarm').map(([id]) => JSON.stringify({ 'Fn::GetAtt': [id, 'Arn'] })).sort());
    }
  });

  it('the construct exposes its alarms, dashboard and log metrics', () => {
    for (const stack of Object.values(s.stacks.routerStacks)) {
      const { router } = stack;
      expect(router.dashboard).toBeDefined();
      expect(router.alarms!.all).toHaveLength(12);
      expect(Object.keys(router.alarms!.functionErrors).sort()).toEqual(['admin', 'api', 'chat']);
      expect(router.alarms!.apiLatencyP99).toBeUndefined();
      expect(router.logMetrics.usageRecordFailed.namespace).toBe(NAMESPACE);
      expect(router.alarmTopic).toBeUndefined();
    }
  });
});

describe('alarm notifications', () => {
  let withTopics: SynthesizedRouter;
  let reports: { pluginName: string; conclusion: string; violations: { ruleName: string; violatingConstructs: { constructPath: string }[] }[] }[];
  const existingTopic = 'arn:aws:sns:eu-west-1:111111111111:ops-alarms';
  beforeAll(() => {
    withTopics = synthesizeRouter({ nag: true, bundling: false, router: { alarmEmail: 'ops@example.com' }, alarmTopicArns: { 'eu-west-1': existingTopic } });
    reports = JSON.parse(readFileSync(join(withTopics.outdir, 'validation-report.json'), 'utf8')).pluginReports;
  });

  it('alarmEmail: a KMS-encrypted, SSL-only topic per region that CloudWatch may publish to, notified on ALARM and OK', () => {
    for (const region of [withTopics.config.primaryRegion, 'ap-southeast-2']) {
      const t = withTopics.template(withTopics.stacks.routerStacks[region]!);
      const topics = resourcesOf(t, 'AWS::SNS::Topic');
      expect(topics, region).toHaveLength(1);
      const [topicId, topic] = topics[0]!;
      const [[keyId, key]] = resourcesOf(t, 'AWS::KMS::Key') as [[string, CfnResourceJson]];
      expect(topic.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [keyId, 'Arn'] });
      expect(key.Properties.EnableKeyRotation).toBe(true);
      expect(key.Properties.KeyPolicy.Statement).toContainEqual(
        expect.objectContaining({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] }),
      );
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
      for (const a of alarms(t)) {
        expect(a.AlarmActions, a.AlarmName).toEqual([{ Ref: topicId }]);
        expect(a.OKActions, a.AlarmName).toEqual([{ Ref: topicId }]);
      }
    }
  });

  it('alarmTopicArns: a region with an existing topic notifies it and creates none', () => {
    const t = withTopics.template(withTopics.stacks.routerStacks['eu-west-1']!);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    t.resourceCountIs('AWS::KMS::Key', 0);
    for (const a of alarms(t)) expect(a.AlarmActions, a.AlarmName).toEqual([existingTopic]);
  });

  it('a topic ARN from another region is refused', () => {
    expect(() => synthesizeRouter({ bundling: false, alarmTopicArns: { 'eu-west-1': 'arn:aws:sns:us-east-1:111111111111:ops-alarms' } })).toThrow(/is in us-east-1, not in eu-west-1/);
  });

  it('cdk-nag: the topic and its key add no finding (SNS2, SNS3, KMS5 pass)', () => {
    const nag = reports.find((r) => r.pluginName === 'AwsSolutions')!;
    expect(nag.violations.map((v) => `${v.ruleName} at ${v.violatingConstructs.map((c) => c.constructPath).join(', ')}`)).toEqual([]);
    expect(nag.conclusion).toBe('success');
  });
});

describe('monitoring options', () => {
  const data = () => ({
    tableNames: s.stacks.dataStack.data.tableNames,
    keyArn: 'arn:aws:kms:us-east-1:111111111111:key/mrk-1234',
    homeKeyArn: 'arn:aws:kms:us-east-1:111111111111:key/mrk-1234',
    providerSecretArn: 'arn:aws:secretsmanager:us-east-1:111111111111:secret:ctr/provider-credentials-AbCdEf',
  });
  const standalone = (props: Partial<ConstructorParameters<typeof CheapTokenRouter>[2]>) => {
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stack = new Stack(app, 'Standalone', { env: { region: s.config.primaryRegion } });
    const router = new CheapTokenRouter(stack, 'Router', { config: s.config, data: data(), ...props });
    return { router, t: Template.fromStack(stack) };
  };

  it('alarms and dashboard can be turned off (the log metrics stay)', () => {
    const { router, t } = standalone({ alarms: { enabled: false }, dashboard: false, alarmEmail: 'ops@example.com' });
    t.resourceCountIs('AWS::CloudWatch::Alarm', 0);
    t.resourceCountIs('AWS::CloudWatch::Dashboard', 0);
    t.resourceCountIs('AWS::SNS::Topic', 0);
    expect(resourcesOf(t, 'AWS::Logs::MetricFilter').length).toBe(12);
    expect(router.alarms).toBeUndefined();
    expect(router.dashboard).toBeUndefined();
  });

  it('thresholds and the optional latency alarm follow the props', () => {
    const { router, t } = standalone({
      alarms: { apiErrorRatePercent: 2, apiErrorMinCount: 10, evaluationPeriods: 5, datapointsToAlarm: 4, period: Duration.minutes(1), apiLatencyP99: Duration.seconds(20), durationP99PercentOfTimeout: 50 },
      streamTimeout: Duration.minutes(2),
    });
    expect(router.alarms!.apiLatencyP99).toBeDefined();
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      MetricName: 'Latency',
      Namespace: 'AWS/ApiGateway',
      ExtendedStatistic: 'p99',
      Threshold: 20000,
      Period: 60,
      EvaluationPeriods: 5,
      DatapointsToAlarm: 4,
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Threshold: 2,
      Metrics: Match.arrayWith([Match.objectLike({ Expression: 'IF(errors >= 10, 100 * errors / requests, 0)' })]),
    });
    t.hasResourceProperties('AWS::CloudWatch::Alarm', { MetricName: 'Duration', Threshold: 60000 });
  });
});
