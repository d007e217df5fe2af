/**
 * The parts of the SQS SDK the router sends with, loaded with `import()` on the first send
 * (outbox-sqs.ts); named here so esbuild leaves out the rest of the client.
 */
export { SendMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
