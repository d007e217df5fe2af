/**
 * The outbox and erasure-job queues (issue 10 items 3 and 5) and the API's admin resource policy,
 * read from the synthesized templates: CMK encryption, redrive, event sources with partial batch
 * failures, least-privilege send grants, the alarms, and the operator role.
 */
import { Match } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { QUEUE_DEFAULTS } from '../../lib/router-queues';
import { API_FUNCTIONS, ERASURE_JOB_SENDERS, OUTBOX_SENDERS, ROUTER_FUNCTIONS, TABLE_ACCESS } from '../../lib/table-access';
import { expectProps, logicalIdOf, type SynthesizedRouter, synthesizeRouter } from './fixture';

let s: SynthesizedRouter;
beforeAll(() => {
  s = synthesizeRouter({ bundling: false });
}, 120_000);

const routers = () => Object.values(s.stacks.routerStacks).map((stack) => ({ router: stack.router, t: s.template(stack) }));
const policyText = (t: ReturnType<SynthesizedRouter['template']>, roleConstruct: Parameters<typeof logicalIdOf>[0]) =>
  JSON.stringify(t.toJSON().Resources[logicalIdOf(roleConstruct.node.findChild('DefaultPolicy'))]);

describe('router queues', () => {
  it('encrypts every queue with the customer-managed key and enforces SSL', () => {
    for (const { router, t } of routers()) {
      const q = router.queues;
      for (const queue of [q.outbox, q.outboxDlq, q.erasureJobs, q.erasureJobsDlq]) {
        const props = t.toJSON().Resources[logicalIdOf(queue)].Properties;
        expect(props.KmsMasterKeyId).toBeDefined();
        expect(JSON.stringify(props.KmsMasterKeyId)).not.toContain('alias/aws/sqs');
      }
      t.hasResourceProperties('AWS::SQS::QueuePolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([Match.objectLike({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        },
      });
    }
  });

  it('redrives to a DLQ and keeps outbox messages less than the settle marker lives', () => {
    for (const { router, t } of routers()) {
      expectProps(t, router.queues.outbox, {
        MessageRetentionPeriod: QUEUE_DEFAULTS.outboxRetentionSeconds,
        RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: QUEUE_DEFAULTS.outboxMaxReceiveCount },
      });
      expectProps(t, router.queues.erasureJobs, {
        RedrivePolicy: { deadLetterTargetArn: Match.anyValue(), maxReceiveCount: QUEUE_DEFAULTS.erasureMaxReceiveCount },
      });
      expect(QUEUE_DEFAULTS.outboxRetentionSeconds).toBeLessThan(2 * 86_400);
    }
  });

  it('drains each queue with its worker, reporting partial batch failures', () => {
    for (const { router, t } of routers()) {
      for (const [fn, queue, batch] of [
        [router.functions.outbox, router.queues.outbox, 10],
        [router.functions.erasure, router.queues.erasureJobs, 1],
      ] as const) {
        t.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          FunctionName: { Ref: logicalIdOf(fn) },
          EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(queue), 'Arn'] },
          BatchSize: batch,
          FunctionResponseTypes: ['ReportBatchItemFailures'],
        });
      }
    }
  });

  it('grants SendMessage only to the functions that queue, and the key only via SQS', () => {
    for (const { router, t } of routers()) {
      for (const name of ROUTER_FUNCTIONS) {
        const text = policyText(t, router.functionRoles[name]);
        expect(text.includes('OutboxSend'), name).toBe(OUTBOX_SENDERS.includes(name));
        expect(text.includes('ErasureJobSend'), name).toBe(ERASURE_JOB_SENDERS.includes(name));
        expect(text).not.toMatch(/"sqs:\*"|kms:GenerateDataKey\*/);
      }
      expect(policyText(t, router.functionRoles.chat)).toContain('sqs.');
    }
  });

  it('alarms on DLQ messages and on the outbox age', () => {
    for (const { router, t } of routers()) {
      expect(router.queues.alarms).toHaveLength(3);
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateNumberOfMessagesVisible',
        Threshold: 0,
        ComparisonOperator: 'GreaterThanThreshold',
      });
      t.hasResourceProperties('AWS::CloudWatch::Alarm', {
        MetricName: 'ApproximateAgeOfOldestMessage',
        Threshold: QUEUE_DEFAULTS.outboxAgeAlarmSeconds,
      });
    }
  });
});

describe('privacy function and admin access', () => {
  it('serves /v1/privacy/* from its own function, without the limits table, Scan or the provider secret', () => {
    expect(API_FUNCTIONS).toContain('privacy');
    expect(TABLE_ACCESS.privacy.limits).toBeUndefined();
    for (const { router, t } of routers()) {
      const text = policyText(t, router.functionRoles.privacy);
      expect(text).not.toContain('dynamodb:Scan');
      expect(text).not.toContain('secretsmanager:GetSecretValue');
      expect(text).not.toContain('bedrock:');
    }
  });

  it('admits only the operator role to /admin/* through the API resource policy', () => {
    for (const { router, t } of routers()) {
      expectProps(t, router.api, {
        Policy: {
          Statement: Match.arrayWith([
            Match.objectLike({
              Effect: 'Deny',
              Resource: 'execute-api:/*/*/admin/*',
              Condition: { ArnNotEquals: { 'aws:PrincipalArn': { 'Fn::GetAtt': [logicalIdOf(router.operatorRole), 'Arn'] } } },
            }),
          ]),
        },
      });
      expect(policyText(t, router.operatorRole)).toContain('execute-api:Invoke');
    }
  });
});
