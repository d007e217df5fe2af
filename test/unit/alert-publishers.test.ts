/** Budget alerts reach SNS (one Publish, ids and amounts only) or a webhook; breaker changes become the BreakerOpen metric. */
import { PublishCommand, SNSClient } from '@aws-sdk/client-sns';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../lambdas/core/health';
import { type MetricPoint, setProcessMetrics } from '../../lambdas/core/metrics';
import type { BudgetAlert } from '../../lambdas/domain/ports';
import { alertThresholds, breakerMetric } from '../../lambdas/handlers/alerts';
import { alertSubject, snsAlertPublisher } from '../../lambdas/store/alert-publishers';

const alert: BudgetAlert = {
  accountId: 'acme',
  keyId: 'key_1',
  scope: 'key',
  period: 'day#2026-11-28',
  thresholdPercent: 80,
  limitUsd: 5,
  spentUsd: 4.1,
};

afterEach(() => setProcessMetrics({ emit: () => undefined }));

describe('budget alert publishers', () => {
  it('publishes one SNS message per alert, loading the client on first use', async () => {
    const sns = mockClient(SNSClient);
    sns.on(PublishCommand).resolves({ MessageId: 'm-1' });
    const publisher = snsAlertPublisher('arn:aws:sns:us-east-1:111122223333:alerts', 'us-east-1');
    await publisher.publish(alert);
    const calls = sns.commandCalls(PublishCommand);
    expect(calls).toHaveLength(1);
    expect(calls[0]!.args[0].input).toEqual({
      TopicArn: 'arn:aws:sns:us-east-1:111122223333:alerts',
      Subject: alertSubject(alert),
      Message: JSON.stringify(alert),
    });
    expect(alertSubject(alert)).toBe('Budget alert: key key_1 of account acme reached 80% of its day budget');
    sns.restore();
  });

  it('reads thresholds from the environment, sorted and bounded, with defaults', () => {
    expect(alertThresholds('100, 50,80,50')).toEqual([50, 80, 100]);
    expect(alertThresholds('x,-3,0')).toEqual([50, 80, 100]);
    expect(alertThresholds(undefined, [90])).toEqual([90]);
  });
});

describe('breaker-state metric', () => {
  it('is 1 when an offer breaker opens and 0 when it closes, by provider and upstream model', () => {
    const points: MetricPoint[] = [];
    setProcessMetrics({ emit: (p) => points.push(p) });
    let now = 1_000_000;
    const health = new HealthMonitor({
      region: 'test',
      now: () => now,
      random: () => 0,
      onBreaker: breakerMetric,
      policy: { consecutiveFailures: 3 },
    });
    for (let i = 0; i < 3; i++) health.record({ offerId: 'groq/llama-3.3-70b', ok: false, failure: 'error' });
    now += 60_000;
    health.record({ offerId: 'groq/llama-3.3-70b', ok: true });
    expect(points.map((p) => [p.dimensionSets, p.values[0]!.value])).toEqual([
      [[{ model: 'llama-3.3-70b', provider: 'groq' }], 1],
      [[{ model: 'llama-3.3-70b', provider: 'groq' }], 0],
    ]);
  });
});
