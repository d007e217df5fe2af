/**
 * Usage records by group commit, against DynamoDB Local: a burst of records is written in fewer
 * transactions than records, yet each request has exactly one event, each account's daily
 * aggregate is the exact sum, a record written twice counts once, and an erased account gets
 * nothing (the batch falls back to one transaction per record when any condition fails).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { UsageEvent } from '../../lambdas/domain/usage';
import { createTables, freePort, type LocalDynamo, startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { AccountsRepo } from '../../lambdas/store/accounts-repo';
import { documentClient } from '../../lambdas/store/dynamo';
import { tableNamesFromEnv } from '../../lambdas/store/tables';
import { UsageRepo } from '../../lambdas/store/usage-repo';
import { usageEventOf } from '../helpers/usage-records';

const dir = mkdtempSync(join(tmpdir(), 'ctr-usage-batch-'));
const tables = tableNamesFromEnv({}, 'ub-');
let dynamo: LocalDynamo;

const event = (accountId: string, requestId: string, cost: number): UsageEvent =>
  usageEventOf({
    accountId,
    requestId,
    keyId: 'key-ub',
    at: '2031-05-14T10:00:00.000Z',
    costNanoUsd: cost,
    referenceCostNanoUsd: 2 * cost,
  });

beforeAll(async () => {
  dynamo = await startDynamoLocal({ port: await freePort(), dataDir: join(dir, 'dynamodb') });
  await createTables(dynamo.endpoint, tables);
}, 90_000);

afterAll(async () => {
  await dynamo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('usage records by group commit', () => {
  it('a burst shares transactions; each request counts once; aggregates are exact; an erased account gets nothing', async () => {
    const db = documentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' });
    let transactions = 0;
    const send = db.send.bind(db);
    db.send = ((cmd: unknown, ...rest: unknown[]) => {
      if (cmd instanceof TransactWriteCommand) transactions++;
      return (send as (...a: unknown[]) => Promise<unknown>)(cmd, ...rest);
    }) as typeof db.send;
    const usage = new UsageRepo(db, tables.usage, 730, tables.accounts);
    const accounts = new AccountsRepo(db, tables.accounts);
    for (const id of ['acct-a', 'acct-b', 'acct-gone'])
      await accounts.create({ accountId: id, status: 'active', createdAt: new Date().toISOString() } as never);
    await accounts.markErased('acct-gone', undefined, 30);

    // 40 records of two accounts at once, one of them sent twice, and one of an erased account.
    const burst = Array.from({ length: 40 }, (_, i) => event(i % 2 ? 'acct-a' : 'acct-b', `req_${i}`, 100 + i));
    const results = await Promise.all([
      ...burst.map((e) => usage.record(e)),
      usage.record(burst[7]!),
      usage.record(event('acct-gone', 'req_gone', 999)),
    ]);

    expect(results.filter(Boolean)).toHaveLength(40);
    expect(results.at(-1)).toBe(false);
    expect(transactions).toBeLessThan(42);
    for (const acct of ['acct-a', 'acct-b']) {
      const mine = burst.filter((e) => e.accountId === acct);
      const events = await usage.events(acct);
      expect(events.map((e) => e.requestId).sort()).toEqual(mine.map((e) => e.requestId).sort());
      const [day] = await usage.daily(acct, '2031-05-14', '2031-05-14');
      expect(day).toMatchObject({
        requests: 20,
        promptTokens: 200,
        costNanoUsd: mine.reduce((s, e) => s + e.costNanoUsd, 0),
        referenceCostNanoUsd: mine.reduce((s, e) => s + e.referenceCostNanoUsd, 0),
      });
    }
    expect(await usage.events('acct-gone')).toEqual([]);
    // A record written again later counts nothing.
    expect(await usage.record(burst[0]!)).toBe(false);
    expect((await usage.daily('acct-b', '2031-05-14', '2031-05-14'))[0]).toMatchObject({ requests: 20 });
  }, 60_000);

  it('with a linger (a long-running server), records answered one at a time within it share one transaction, and the statistics one update', async () => {
    const db = documentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' });
    const sent: string[] = [];
    const send = db.send.bind(db);
    db.send = ((cmd: { constructor: { name: string } }, ...rest: unknown[]) => {
      sent.push(cmd.constructor.name);
      return (send as (...a: unknown[]) => Promise<unknown>)(cmd, ...rest);
    }) as typeof db.send;
    const usage = new UsageRepo(db, tables.usage, 730, tables.accounts, 40);
    const accounts = new AccountsRepo(db, tables.accounts);
    await accounts.create({ accountId: 'acct-linger', status: 'active', createdAt: new Date().toISOString() } as never);
    sent.length = 0;
    // Five requests answered 2 ms apart, as sequential requests are: each record handed in on its own.
    const written: Array<Promise<boolean>> = [];
    for (let i = 0; i < 5; i++) {
      written.push(usage.record(event('acct-linger', `req_linger_${i}`, 10)));
      await new Promise((r) => setTimeout(r, 2));
    }
    expect(await Promise.all(written)).toEqual([true, true, true, true, true]);
    await usage.idle();
    expect(sent.filter((n) => n === 'TransactWriteCommand')).toHaveLength(1);
    expect(sent.filter((n) => n === 'UpdateCommand')).toHaveLength(1);
    expect((await usage.daily('acct-linger', '2031-05-14', '2031-05-14'))[0]).toMatchObject({ requests: 5, costNanoUsd: 50 });
    expect((await usage.stats('2031-05-14')).find((x) => x.model === 'mock/echo-small')?.requests).toBeGreaterThanOrEqual(5);
  }, 60_000);
});
