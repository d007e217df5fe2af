/**
 * The cloud outbox: metering the store did not take goes to an SQS queue (CMK-encrypted, with a
 * dead-letter queue; see lib/router-outbox.ts), drained by the outbox function
 * (handlers/outbox.ts). Messages hold counts and ids only.
 */
import { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { OutboxEntry, OutboxPort } from '../domain/ports';

/** Bounds of one SQS call: the metering already waited out its store retries. */
export const SQS_REQUEST_TIMEOUT_MS = 3_000;
export const SQS_MAX_ATTEMPTS = 3;

/** An SQS client with bounded waits (connect + request timeout, few attempts). */
export function sqsClient(region?: string): SQSClient {
  return new SQSClient({
    ...(region ? { region } : {}),
    maxAttempts: SQS_MAX_ATTEMPTS,
    requestHandler: { connectionTimeout: 1_000, requestTimeout: SQS_REQUEST_TIMEOUT_MS },
  });
}

export class SqsOutbox implements OutboxPort {
  constructor(
    private readonly client: Pick<SQSClient, 'send'>,
    private readonly queueUrl: string,
  ) {}

  /**
   * @example
   * await new SqsOutbox(sqsClient(), process.env.CTR_OUTBOX_QUEUE_URL!).put(entry);
   */
  async put(entry: OutboxEntry): Promise<void> {
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(entry) }));
  }
}
