/**
 * `RouterQueues`: the two durable queues of the router, each with a dead-letter queue, all four
 * encrypted with the customer-managed key (policy §5), SSL-only:
 * - the metering outbox: usage records and budget settles the store did not take after bounded
 *   retries (issue 10), drained by the `outbox` function;
 * - erasure jobs (§6): each message is one run of a job, drained by the `erasure` function, which
 *   queues the job again while data is left.
 * It wires the event sources (partial batch failures), the send grants (least privilege, no
 * wildcards) and the queue alarms. Wiring only; the logic is in lambdas/.
 */
import { Duration, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as cwActions from 'aws-cdk-lib/aws-cloudwatch-actions';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as sns from 'aws-cdk-lib/aws-sns';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { ERASURE_JOB_SENDERS, OUTBOX_SENDERS, type RouterFunctionName } from './table-access';

/** Queue settings (seconds unless named otherwise). */
export const QUEUE_DEFAULTS = {
  /**
   * Outbox messages are kept one day: less than the two days a budget settle's idempotency marker
   * lives (lambdas/store/budget-settle.ts), so a replay can never count a settle twice.
   */
  outboxRetentionSeconds: 86_400,
  /** Receives before a message goes to the DLQ: with a 6-minute visibility, ~5 hours of store outage. */
  outboxMaxReceiveCount: 50,
  outboxVisibilitySeconds: 360,
  /** An erasure job message is retried a few times (each run resumes from its checkpoint). */
  erasureMaxReceiveCount: 5,
  erasureVisibilitySeconds: 1_800,
  dlqRetentionDays: 14,
  /** Alarm when the oldest outbox message is older than this: the store has not taken metering for that long. */
  outboxAgeAlarmSeconds: 900,
} as const;

/** Props of {@link RouterQueues}. */
export interface RouterQueuesProps {
  /** The customer-managed key the queues are encrypted with. */
  readonly encryptionKey: kms.IKey;
  /** The router's functions (senders get send grants; the workers get event sources). */
  readonly functions: Readonly<Record<RouterFunctionName, lambda.Function>>;
  /** Prefix of the alarm names. */
  readonly namePrefix: string;
  /**
   * Topic the queue alarms notify.
   *
   * @default - no actions
   */
  readonly alarmTopic?: sns.ITopic;
  /**
   * Create the queue alarms.
   *
   * @default true
   */
  readonly alarms?: boolean;
}

export class RouterQueues extends Construct {
  public readonly outbox: sqs.Queue;
  public readonly outboxDlq: sqs.Queue;
  public readonly erasureJobs: sqs.Queue;
  public readonly erasureJobsDlq: sqs.Queue;
  public readonly alarms: readonly cloudwatch.Alarm[];

  constructor(scope: Construct, id: string, props: RouterQueuesProps) {
    super(scope, id);
    const { encryptionKey, functions } = props;
    const encrypted = {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: encryptionKey,
      enforceSSL: true,
      dataKeyReuse: Duration.minutes(5),
    };
    this.outboxDlq = new sqs.Queue(this, 'OutboxDlq', { ...encrypted, retentionPeriod: Duration.days(QUEUE_DEFAULTS.dlqRetentionDays) });
    this.outbox = new sqs.Queue(this, 'Outbox', {
      ...encrypted,
      retentionPeriod: Duration.seconds(QUEUE_DEFAULTS.outboxRetentionSeconds),
      visibilityTimeout: Duration.seconds(QUEUE_DEFAULTS.outboxVisibilitySeconds),
      deadLetterQueue: { queue: this.outboxDlq, maxReceiveCount: QUEUE_DEFAULTS.outboxMaxReceiveCount },
    });
    this.erasureJobsDlq = new sqs.Queue(this, 'ErasureJobsDlq', {
      ...encrypted,
      retentionPeriod: Duration.days(QUEUE_DEFAULTS.dlqRetentionDays),
    });
    this.erasureJobs = new sqs.Queue(this, 'ErasureJobs', {
      ...encrypted,
      visibilityTimeout: Duration.seconds(QUEUE_DEFAULTS.erasureVisibilitySeconds),
      deadLetterQueue: { queue: this.erasureJobsDlq, maxReceiveCount: QUEUE_DEFAULTS.erasureMaxReceiveCount },
    });

    functions.outbox.addEventSource(new SqsEventSource(this.outbox, { batchSize: 10, reportBatchItemFailures: true }));
    functions.erasure.addEventSource(new SqsEventSource(this.erasureJobs, { batchSize: 1, reportBatchItemFailures: true }));
    for (const name of OUTBOX_SENDERS) this.grantSend(functions[name], this.outbox, encryptionKey, 'OutboxSend');
    for (const name of ERASURE_JOB_SENDERS) this.grantSend(functions[name], this.erasureJobs, encryptionKey, 'ErasureJobSend');
    for (const name of OUTBOX_SENDERS) functions[name].addEnvironment('CTR_OUTBOX_QUEUE_URL', this.outbox.queueUrl);
    for (const name of ERASURE_JOB_SENDERS) functions[name].addEnvironment('CTR_ERASURE_QUEUE_URL', this.erasureJobs.queueUrl);

    const alarm = (alarmId: string, metric: cloudwatch.IMetric, threshold: number, description: string) => {
      const a = new cloudwatch.Alarm(this, alarmId, {
        alarmName: `${props.namePrefix}-router-${alarmId.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase()}-${Stack.of(this).region}`,
        alarmDescription: description,
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      if (props.alarmTopic) {
        a.addAlarmAction(new cwActions.SnsAction(props.alarmTopic));
        a.addOkAction(new cwActions.SnsAction(props.alarmTopic));
      }
      return a;
    };
    const period = Duration.minutes(1);
    this.alarms =
      props.alarms === false
        ? []
        : [
            alarm(
              'OutboxDlqMessages',
              this.outboxDlq.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
              0,
              'Metering that could not be replayed: usage records or budget settles of answered requests sit in the outbox dead-letter queue. Find why the store refused them (function logs of the outbox worker), fix it, then start a DLQ redrive to the outbox within a day (docs/DEPLOY.md, Queues).',
            ),
            alarm(
              'OutboxAge',
              this.outbox.metricApproximateAgeOfOldestMessage({ period, statistic: 'Maximum' }),
              QUEUE_DEFAULTS.outboxAgeAlarmSeconds,
              'The oldest message in the metering outbox is older than 15 minutes: the store has not taken usage records or budget settles for that long. Check DynamoDB health and the outbox worker logs; messages move to the DLQ after about five hours.',
            ),
            alarm(
              'ErasureJobsDlqMessages',
              this.erasureJobsDlq.metricApproximateNumberOfMessagesVisible({ period, statistic: 'Maximum' }),
              0,
              'An erasure job failed repeatedly (policy §6) and its message is in the erasure-jobs dead-letter queue. The job is checkpointed: read the erasure worker logs, fix the cause, then redrive the message so the job resumes where it stopped.',
            ),
          ];
  }

  /** SendMessage on one queue, and the key only through SQS in this region (no wildcard actions). */
  private grantSend(fn: lambda.Function, queue: sqs.Queue, key: kms.IKey, sid: string): void {
    fn.addToRolePolicy(new iam.PolicyStatement({ sid, actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        sid: `${sid}Key`,
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [key.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }

  /** A dashboard widget: messages waiting in the outbox and both DLQs (the outbox depth, as SQS counts it). */
  depthWidget(): cloudwatch.GraphWidget {
    const visible = (q: sqs.Queue, label: string) =>
      q.metricApproximateNumberOfMessagesVisible({ label, statistic: cloudwatch.Stats.MAXIMUM, period: Duration.minutes(1) });
    return new cloudwatch.GraphWidget({
      title: 'Metering outbox depth (SQS)',
      left: [visible(this.outbox, 'outbox'), visible(this.outboxDlq, 'outbox DLQ'), visible(this.erasureJobsDlq, 'erasure-job DLQ')],
      width: 12,
      height: 6,
    });
  }
}
