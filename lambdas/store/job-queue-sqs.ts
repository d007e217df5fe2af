/**
 * The cloud job runner: an erasure job's next run is a message on the jobs queue (CMK-encrypted,
 * with a dead-letter queue), drained by the erasure worker (handlers/erasure.ts).
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { JobRunnerPort } from '../domain/ports';
import { sqsSdk } from './outbox-sqs';

export class SqsJobRunner implements JobRunnerPort {
  constructor(
    private readonly client: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
  ) {}

  async enqueue(jobId: string): Promise<void> {
    const { SendMessageCommand } = await sqsSdk();
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify({ jobId }) }));
  }
}
