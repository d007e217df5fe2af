/**
 * The store operations and log bytes of one chat request, counted against the local server
 * (DynamoDB Local, the Lambda handlers) for `npm run cost`: every command the router's document
 * client sends and the capacity units DynamoDB Local reports for it, over requests after a
 * warm-up, divided by their number. The counts are kept in scripts/cost/store-ops.json; this test
 * fails when they change. `UPDATE_STORE_OPS=1 npx vitest run test/integration/store-ops-cost.test.ts`
 * writes the new counts.
 */
import { randomBytes } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type LocalStack, startLocalStack } from '../../lambdas/local/stack';
import { documentClient } from '../../lambdas/store/dynamo';
import { type TableId, tableNamesFromEnv } from '../../lambdas/store/tables';
import { type PerRequestOps, STORE_OPS_FILE, type StoreOpsFile } from '../../scripts/cost/store-ops';
import { threeProviderConfig } from '../helpers/config';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';
import { countStoreOps, type StoreOpsCounter } from '../helpers/store-ops';

process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';

const N = 20;
let up: MockUpstream;
let stack: LocalStack;
let counter: StoreOpsCounter;
const logs: string[] = [];

beforeAll(async () => {
  up = await startOpenAIUpstream('ops');
  up.usage = { prompt: 1000, completion: 300, cached: 0 };
  stack = await startLocalStack({
    port: 0,
    env: {
      PATH: process.env.PATH,
      CTR_CONFIG_JSON: JSON.stringify(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url })),
      CHEAP_KEY: 'k',
      CTR_TABLE_PREFIX: `ops${Math.random().toString(36).slice(2, 6)}-`,
      CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
      // As in Lambda: each request writes its own metering (no linger shared with others).
      CTR_METERING_LINGER_MS: '0',
    },
    // Everything a deployed function writes to CloudWatch Logs: its log lines (Powertools, at INFO,
    // with the Lambda context) and its EMF metric records.
    metricsWrite: (line) => logs.push(line),
    log: 'powertools',
  });
  counter = countStoreOps(documentClient({ endpoint: stack.dynamo.endpoint, region: 'us-east-1' }));
});

afterAll(async () => {
  await stack?.stop();
  await up?.close();
});

async function chat(key: string, stream: boolean): Promise<void> {
  const res = await fetch(`${stack.server.baseUrl}/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
    body: JSON.stringify({
      model: 'acme/llama-test',
      messages: [{ role: 'user', content: 'hi' }],
      max_tokens: 300,
      ...(stream ? { stream: true } : {}),
    }),
  });
  await res.text();
  expect(res.status).toBe(200);
}

/** Waits until the account has `n` usage records (metering runs after each response), then for the store to be quiet. */
async function metered(accountId: string, n: number): Promise<void> {
  // A client of its own, so these reads are not counted.
  const db = DynamoDBDocumentClient.from(
    new DynamoDBClient({ region: 'us-east-1', endpoint: stack.dynamo.endpoint, credentials: { accessKeyId: 'l', secretAccessKey: 'l' } }),
  );
  await vi.waitFor(
    async () => {
      const out = await db.send(
        new QueryCommand({
          TableName: tableNamesFromEnv(stack.env).usage,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :e)',
          ExpressionAttributeValues: { ':pk': `acct#${accountId}`, ':e': 'evt#' },
          ConsistentRead: true,
        }),
      );
      expect(out.Items ?? []).toHaveLength(n);
    },
    { timeout: 30_000, interval: 100 },
  );
  // The settle and the log line follow the usage record: wait for 1 s without a store call or a log line.
  let last = '';
  for (;;) {
    const now = `${counter.roundTrips()}|${logs.length}`;
    if (now === last) return;
    last = now;
    await new Promise((r) => setTimeout(r, 1000));
  }
}

/** N requests of one kind after a warm-up: store operations and log bytes per request. */
async function measure(accountId: string, limits: Record<string, number> | undefined, stream: boolean): Promise<PerRequestOps> {
  await stack.runtime.accounts.createAccount({ accountId, ...(limits ? { limits } : {}) });
  const key = (await stack.runtime.accounts.createKey(accountId, {})).key;
  for (let i = 0; i < 3; i++) await chat(key, stream);
  await metered(accountId, 3);
  counter.reset();
  logs.length = 0;
  // One request at a time, each metered before the next, as a Lambda instance serves them (the
  // local server would otherwise share writes between overlapping requests: group commit).
  for (let i = 0; i < N; i++) {
    await chat(key, stream);
    await vi.waitFor(() => expect(logs.filter((l) => l.includes('"request metered"')).length).toBe(i + 1), {
      timeout: 30_000,
      interval: 5,
    });
  }
  await metered(accountId, 3 + N);
  const ids = Object.entries(tableNamesFromEnv(stack.env)) as Array<[TableId, string]>;
  const tables: PerRequestOps['tables'] = {};
  for (const [name, ops] of Object.entries(counter.snapshot())) {
    const id = ids.find(([, n]) => n === name)?.[0] ?? name;
    tables[id] = {
      calls: Object.fromEntries(Object.entries(ops.calls).map(([c, n]) => [c, n / N])),
      readUnits: round(ops.readUnits / N),
      writeUnits: round(ops.writeUnits / N),
    };
  }
  const bytes = logs.reduce((s, l) => s + Buffer.byteLength(l) + 1, 0);
  return { tables, roundTrips: counter.roundTrips() / N, logLines: logs.length / N, logBytes: Math.round(bytes / N) };
}

const round = (x: number) => Math.round(x * 100) / 100;

/** Limits-table calls per request at most: one budget write-back each, and the odd refill. */
const MAX_LIMITS_CALLS = 1.25;

describe('store operations per chat request (for npm run cost)', () => {
  it('counts what one request reads, writes and logs, and keeps scripts/cost/store-ops.json in step', async () => {
    const measured: StoreOpsFile['requests'] = {
      noLimits: await measure('ops-free', undefined, false),
      limits: await measure('ops-limited', { rpm: 100_000, dailyBudgetUsd: 1000 }, false),
      limitsStreamed: await measure('ops-streamed', { rpm: 100_000, dailyBudgetUsd: 1000 }, true),
    };
    if (process.env.UPDATE_STORE_OPS === '1') {
      const file: StoreOpsFile = {
        howMeasured:
          'test/integration/store-ops-cost.test.ts: chat requests (1,000 prompt / 300 completion tokens from a mock upstream) against the local server and DynamoDB Local; every command of the router document client counted, with the capacity units DynamoDB Local reports (ReturnConsumedCapacity TOTAL), over 20 requests after 3 warm-up requests (so the key lookup is cached in the function), divided by 20; a transaction over two tables counts under each table, once in roundTrips; log lines and bytes are everything the function writes to CloudWatch Logs: its Powertools log lines at INFO (with the Lambda context) and its EMF metric records.',
        measuredOn: new Date().toISOString().slice(0, 10),
        requests: measured,
      };
      writeFileSync(STORE_OPS_FILE, `${JSON.stringify(file, null, 2)}\n`);
    }
    const committed = JSON.parse(readFileSync(STORE_OPS_FILE, 'utf8')) as StoreOpsFile;
    for (const kind of Object.keys(measured) as Array<keyof typeof measured>) {
      const m = measured[kind];
      const c = committed.requests[kind];
      // Calls are exact, except the limits table's: budget write-backs are shared by settles close in
      // time (leases), so there are 0 to 1 per request depending on timing, and a refill (a new
      // minute's rate window) adds a few hundredths. Units and log bytes vary a little with ids and timings.
      const near = (a: number, b: number, within: number) => Math.abs(a - b) <= within + 1e-9;
      const limitsCalls = (r: PerRequestOps) => Object.values(r.tables.limits?.calls ?? {}).reduce((sum, n) => sum + n, 0);
      const seen = `${kind}: measured ${JSON.stringify(m)}, committed ${JSON.stringify(c)}`;
      for (const [table, ops] of Object.entries(m.tables)) {
        const hint = `${kind} ${table}: run UPDATE_STORE_OPS=1 (see the header)`;
        if (table === 'limits') expect(limitsCalls(m), `${hint}; ${seen}`).toBeLessThanOrEqual(MAX_LIMITS_CALLS);
        else expect(ops.calls, hint).toEqual(c.tables[table]?.calls);
        expect(Math.abs(ops.writeUnits - (c.tables[table]?.writeUnits ?? 0)), `${kind} ${table} write units`).toBeLessThanOrEqual(
          table === 'limits' ? 4 : 0.5,
        );
      }
      expect(Object.keys(m.tables).sort()).toEqual(Object.keys(c.tables).sort());
      // Every other round trip is exact.
      expect(near(m.roundTrips - limitsCalls(m), c.roundTrips - limitsCalls(c), 0.01), seen).toBe(true);
      expect(m.logLines).toBe(c.logLines);
      expect(Math.abs(m.logBytes - c.logBytes) / c.logBytes).toBeLessThan(0.15);
    }
  }, 120_000);
});
