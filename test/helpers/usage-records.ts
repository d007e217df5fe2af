/** Reads usage records back from DynamoDB Local, as the router wrote them. */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { expect, vi } from 'vitest';
import type { TestRouter } from './local-router';

/** Every usage event of an account (consistent read). */
export async function usageEvents(router: TestRouter, accountId: string): Promise<Record<string, any>[]> {
  const out = await router.db.send(
    new QueryCommand({
      TableName: router.tables.usage,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
      ExpressionAttributeValues: { ':pk': `acct#${accountId}`, ':e': 'evt#' },
      ConsistentRead: true,
    }),
  );
  return out.Items ?? [];
}

/** The one usage record of a request. Metering runs after the response is complete, so wait for it. */
export async function usageEventFor(router: TestRouter, accountId: string, requestId: string): Promise<Record<string, any>> {
  return vi.waitFor(
    async () => {
      const found = (await usageEvents(router, accountId)).filter((e) => e.requestId === requestId);
      expect(found).toHaveLength(1);
      return found[0]!;
    },
    { timeout: 10_000, interval: 50 },
  );
}
