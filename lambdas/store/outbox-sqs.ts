/**
 * The cloud outbox: metering the store did not take goes to an SQS queue (CMK-encrypted, with a
 * dead-letter queue; see lib/router-outbox.ts), drained by the outbox function
 * (handlers/outbox.ts). Messages hold counts and ids only.
 */
import type { SQSClient } from '@aws-sdk/client-sqs';
import type { OutboxEntry, OutboxPort } from '../domain/ports';

let sdk: Promise<typeof import('./sqs-sdk')> | undefined;
/** The SQS SDK, loaded on the first send: the chat and api functions send only when the store fails, so their cold start does not evaluate it. */
export function sqsSdk(): Promise<typeof import('./sqs-sdk')> {
  sdk ??= import('./sqs-sdk');
  return sdk;
}

/** Bounds of one SQS call: the metering already waited out its store retries. */
export const SQS_REQUEST_TIMEOUT_MS = 3_000;
export const SQS_MAX_ATTEMPTS = 3;

/** An SQS client with bounded waits (connect + request timeout, few attempts), created on its first send. */
export function sqsClient(region?: string): Pick<SQSClient, 'send'> {
  let client: Promise<SQSClient> | undefined;
  const created = () =>
    (client ??= sqsSdk().then(
      ({ SQSClient }) =>
        new SQSClient({
          ...(region ? { region } : {}),
          maxAttempts: SQS_MAX_ATTEMPTS,
          requestHandler: { connectionTimeout: 1_000, requestTimeout: SQS_REQUEST_TIMEOUT_MS },
        }),
    ));
  const send = async (command: Parameters<SQSClient['send']>[0]) => (await created()).send(command);
  return { send: send as SQSClient['send'] };
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
    const { SendMessageCommand } = await sqsSdk();
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(entry) }));
  }
}
