/**
 * DynamoDB Local started in the background (`npm start`, the bench) runs at a lower CPU priority,
 * so that its bursts of work do not preempt the router's request path on a machine with few cores.
 */
import { getPriority } from 'node:os';
import { describe, expect, it } from 'vitest';
import { startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { BACKGROUND_NICENESS } from '../../lambdas/local/java-command';

describe.skipIf(process.platform === 'win32')('DynamoDB Local in the background', () => {
  it('runs the JVM itself at the background niceness, and the store answers', async () => {
    const dynamo = await startDynamoLocal({ background: true });
    try {
      expect(dynamo.pid).toBeDefined();
      expect(getPriority(dynamo.pid!)).toBe(BACKGROUND_NICENESS);
      const res = await fetch(dynamo.endpoint, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-amz-json-1.0',
          'x-amz-target': 'DynamoDB_20120810.ListTables',
          authorization: 'AWS4-HMAC-SHA256 Credential=local/20261128/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=x',
        },
        body: '{}',
      });
      expect(res.status).toBe(200);
    } finally {
      await dynamo.stop();
    }
  });
});
