/**
 * The Lambda bundles themselves, not the TypeScript sources: the chat and api handlers are built
 * with esbuild as the stacks build them (minified ESM, config inlined, a `require` shim) and
 * invoked the way the Lambda runtime invokes them — the chat handler through response streaming —
 * against DynamoDB Local.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { jsonLogger } from '../../lambdas/core/log';
import { createRuntime, type Runtime } from '../../lambdas/handlers/runtime';
import { createTables, type LocalDynamo, startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { tableNamesFromEnv } from '../../lambdas/store/tables';
import { apiGatewayEvent } from '../helpers/api-event';
import { bundleHandler } from '../helpers/bundle';
import { defaultConfig } from '../helpers/config';

let dir: string;
let dynamo: LocalDynamo;
let runtime: Runtime;
const saved = { ...process.env };

const bundle = (name: 'chat' | 'api') => bundleHandler(name, dir, defaultConfig());

const event = (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) =>
  apiGatewayEvent(method, path, { body: body === undefined ? null : JSON.stringify(body), headers, requestId: 'r' });
const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: 'r' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ctr-bundle-'));
  dynamo = await startDynamoLocal();
  const env = {
    CTR_DYNAMODB_ENDPOINT: dynamo.endpoint,
    CTR_TABLE_PREFIX: 'bundle-',
    CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
    AWS_REGION: 'us-east-1',
    CTR_HOME_REGION: 'us-east-1',
  };
  // The bundles read their environment on the first invocation, as in Lambda.
  Object.assign(process.env, env);
  await createTables(dynamo.endpoint, tableNamesFromEnv(env));
  runtime = await createRuntime(
    { ...env, CTR_CONFIG_JSON: JSON.stringify(defaultConfig()) },
    jsonLogger(() => undefined),
  );
});

afterAll(async () => {
  process.env = saved;
  delete (globalThis as { awslambda?: unknown }).awslambda;
  await dynamo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('Lambda bundles', () => {
  it('the api bundle answers GET /v1/models with the inlined catalog', async () => {
    const { handler } = await import(pathToFileURL(await bundle('api')).href);
    const res = await handler({ ...event('GET', '/v1/models'), queryStringParameters: { all: 'true' } }, context);
    expect(res.statusCode).toBe(200);
    const ids = (JSON.parse(res.body) as { data: Array<{ id: string }> }).data.map((m) => m.id);
    expect(ids).toEqual(defaultConfig().models.map((m) => m.id));
  });

  it('the chat bundle streams through Lambda response streaming and meters after the stream', async () => {
    // The Lambda runtime's streaming API, as the bundle expects it.
    let prelude: { statusCode: number; headers?: Record<string, string> } | undefined;
    let written = '';
    (globalThis as { awslambda?: unknown }).awslambda = {
      streamifyResponse: (fn: unknown) => fn,
      HttpResponseStream: {
        from(stream: Writable, p: typeof prelude) {
          prelude = p;
          return stream;
        },
      },
    };
    const { handler } = await import(pathToFileURL(await bundle('chat')).href);
    await runtime.accounts.createAccount({ accountId: 'acct-bundle', limits: { monthlyBudgetUsd: 1 } });
    const { key } = await runtime.accounts.createKey('acct-bundle', {});
    const sink = new Writable({
      write(chunk, _enc, done) {
        written += String(chunk);
        done();
      },
    });
    await handler(
      event(
        'POST',
        '/v1/chat/completions',
        { model: 'mock/echo-small', messages: [{ role: 'user', content: 'hi' }], stream: true, stream_options: { include_usage: true } },
        {
          authorization: `Bearer ${key}`,
        },
      ),
      sink,
      context,
    );
    expect(prelude).toMatchObject({
      statusCode: 200,
      headers: { 'content-type': 'text/event-stream; charset=utf-8', 'x-ctr-provider': 'mock' },
    });
    expect(written.trim().endsWith('data: [DONE]')).toBe(true);
    const usageChunk = written
      .split('\n\n')
      .map((l) => l.replace(/^data: /, ''))
      .find((l) => l.includes('"usage"'));
    expect(JSON.parse(usageChunk!).usage.cost).toBeGreaterThan(0);
    // The handler returns only after metering: the record is there, with the IP sealed.
    const events = await vi.waitFor(async () => {
      const e = await runtime.usage.events('acct-bundle');
      expect(e).toHaveLength(1);
      return e;
    });
    expect(events[0]).toMatchObject({ servedModel: 'mock/echo-small', status: 'ok', stream: true });
    expect(events[0]!.ipSealed).toBeTruthy();
    expect(JSON.stringify(events[0])).not.toContain('198.51.100.7');
  });
});
