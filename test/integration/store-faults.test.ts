/**
 * A store that does not answer (issue 10, item 2): with DynamoDB Local paused (SIGSTOP), a request
 * that needs the store gets a clear 503 before the first byte within seconds, never a hang; once
 * the store is back, requests are served again.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger } from '../../lambdas/core/log';
import { type LocalDynamo, startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { type LocalStack, startLocalStack } from '../../lambdas/local/stack';
import { STORE_CONNECT_TIMEOUT_MS, STORE_MAX_ATTEMPTS, STORE_REQUEST_TIMEOUT_MS } from '../../lambdas/store/dynamo';
import { storeUnavailableFrom } from '../../lambdas/store/errors';
import { defaultConfig } from '../helpers/config';

let dynamo: LocalDynamo;
let stack: LocalStack;
const logs: string[] = [];

beforeAll(async () => {
  dynamo = await startDynamoLocal();
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CTR_CONFIG_JSON: JSON.stringify(defaultConfig()),
    CTR_TABLE_PREFIX: 'faults-',
    CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
    // The cloud's bound (local mode allows DynamoDB Local more time under bursts).
    CTR_STORE_TIMEOUT_MS: String(STORE_REQUEST_TIMEOUT_MS),
  };
  stack = await startLocalStack({ port: 0, env, dynamoEndpoint: dynamo.endpoint, log: jsonLogger((l) => logs.push(l), 'debug') });
});

afterAll(async () => {
  if (dynamo?.pid) process.kill(dynamo.pid, 'SIGCONT');
  await stack?.stop();
  await dynamo?.stop();
});

function chat(baseUrl: string, key: string) {
  return fetch(`${baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
    body: JSON.stringify({ model: 'mock/echo-small', messages: [{ role: 'user', content: 'hello' }], max_tokens: 20 }),
    signal: AbortSignal.timeout(30_000),
  });
}

describe('a paused store', () => {
  it('answers 503 store_unavailable within the client bound, then serves again when the store is back', async () => {
    // Prepare: a key that works, and a fresh one (not in the auth cache, so it needs the store)
    await stack.runtime.accounts.createAccount({ accountId: 'acme' });
    const warm = (await stack.runtime.accounts.createKey('acme', { name: 'warm' })).key;
    expect((await chat(stack.server.baseUrl, warm)).status).toBe(200);
    const fresh = (await stack.runtime.accounts.createKey('acme', { name: 'fresh' })).key;

    // Act: pause the JVM and call with the fresh key
    process.kill(dynamo.pid!, 'SIGSTOP');
    const started = Date.now();
    let res: Response;
    try {
      res = await chat(stack.server.baseUrl, fresh);
    } finally {
      process.kill(dynamo.pid!, 'SIGCONT');
    }
    const elapsed = Date.now() - started;

    // Assess: a clear 503 in OpenAI's shape, within attempts × (connect + request timeout) + slack
    expect(res.status).toBe(503);
    expect(res.headers.get('retry-after')).toBe('2');
    expect(((await res.json()) as { error: unknown }).error).toMatchObject({ type: 'api_error', code: 'store_unavailable' });
    const bound = STORE_MAX_ATTEMPTS * (STORE_CONNECT_TIMEOUT_MS + STORE_REQUEST_TIMEOUT_MS) + 1500;
    expect(elapsed).toBeLessThan(bound);
    console.info(`paused store: 503 after ${elapsed} ms (bound ${bound} ms)`);

    // The store is back: the same key works
    expect((await chat(stack.server.baseUrl, fresh)).status).toBe(200);
    expect(logs.join('\n')).not.toContain('hello');
  });

  it('classifies SDK errors: timeouts, refused connections and throttling are StoreUnavailable; conditional failures are not', () => {
    const named = (name: string, extra: object = {}) => Object.assign(new Error('x'), { name, ...extra });
    expect(storeUnavailableFrom(named('TimeoutError'))?.reason).toBe('timeout');
    expect(storeUnavailableFrom(named('Error', { code: 'ECONNREFUSED' }))?.reason).toBe('unreachable');
    expect(storeUnavailableFrom(named('ProvisionedThroughputExceededException'))?.reason).toBe('throttled');
    expect(storeUnavailableFrom(named('InternalServerError'))?.reason).toBe('failed');
    expect(storeUnavailableFrom(named('ConditionalCheckFailedException'))).toBeUndefined();
    expect(storeUnavailableFrom(named('TransactionCanceledException'))).toBeUndefined();
  });
});
