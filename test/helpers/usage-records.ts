/** Reads usage records back from DynamoDB Local, as the router wrote them. */
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { expect, vi } from 'vitest';
import type { UsageEvent } from '../../lambdas/domain/usage';
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

/** A usage event as metering writes it (counts, ids and timings only), with the fields a test cares about. */
export function usageEventOf(fields: Pick<UsageEvent, 'accountId' | 'requestId'> & Partial<UsageEvent>): UsageEvent {
  return {
    keyId: 'key_1',
    at: new Date().toISOString(),
    requestedModel: 'mock/echo-small',
    servedModel: 'mock/echo-small',
    provider: 'mock',
    upstreamModel: 'echo-small',
    stream: false,
    latencyMs: 5,
    ttftMs: 5,
    status: 'ok',
    usageSource: 'upstream',
    attempts: 1,
    promptTokens: 10,
    completionTokens: 5,
    cachedReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    costNanoUsd: 70,
    referenceCostNanoUsd: 70,
    ...fields,
  };
}
