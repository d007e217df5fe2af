/**
 * Where budget alerts go. In the cloud: the stack's SNS topic (`CTR_BUDGET_ALERT_TOPIC_ARN`), to
 * which an e-mail address and an HTTPS webhook may subscribe; the SNS client is loaded on the first
 * alert, so functions that never send one do not pay for it at cold start. Locally: a webhook
 * (`CTR_BUDGET_ALERT_WEBHOOK`, POSTed the same JSON). Each alert carries ids and amounts, never content.
 */
import type { BudgetAlert, BudgetAlertPublisher } from '../domain/ports';

/** How long publishing one alert may take (SNS call or webhook POST), in ms. */
export const ALERT_PUBLISH_TIMEOUT_MS = 3_000;

/** The subject line of an alert (ids and a percentage only). */
export function alertSubject(a: BudgetAlert): string {
  const owner = a.keyId ? `key ${a.keyId} of account ${a.accountId}` : `account ${a.accountId}`;
  return `Budget alert: ${owner} reached ${a.thresholdPercent}% of its ${a.period.split('#')[0]} budget`.slice(0, 99);
}

/** Publishes to an SNS topic. */
export function snsAlertPublisher(topicArn: string, region?: string): BudgetAlertPublisher {
  let client: Promise<{ send(alert: BudgetAlert): Promise<unknown> }> | undefined;
  const load = async () => {
    const { SNSClient, PublishCommand } = await import('@aws-sdk/client-sns');
    const sns = new SNSClient({
      region,
      maxAttempts: 2,
      requestHandler: { requestTimeout: ALERT_PUBLISH_TIMEOUT_MS, connectionTimeout: 1_000 },
    });
    return {
      send: (alert: BudgetAlert) =>
        sns.send(new PublishCommand({ TopicArn: topicArn, Subject: alertSubject(alert), Message: JSON.stringify(alert) })),
    };
  };
  return {
    async publish(alert) {
      client ??= load();
      await (await client).send(alert);
    },
  };
}

/** POSTs each alert as JSON to a URL (local mode, tests). */
export function webhookAlertPublisher(url: string, fetchImpl: typeof fetch = fetch): BudgetAlertPublisher {
  return {
    async publish(alert) {
      const res = await fetchImpl(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ subject: alertSubject(alert), alert }),
        signal: AbortSignal.timeout(ALERT_PUBLISH_TIMEOUT_MS),
      });
      await res.body?.cancel();
      if (!res.ok) throw new Error(`budget alert webhook answered ${res.status}`);
    },
  };
}
