/**
 * No answered request goes unmetered (issue 10 item 3): DynamoDB Local is killed while requests
 * are being metered; their usage records and budget settles go to the spool outbox; after the
 * store is back, the replay leaves exactly one usage record per request and committed budget ≥
 * settled spend ≥ 0 (here equal: every hold settled). Replaying twice changes nothing.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueryCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { jsonLogger } from '../../lambdas/core/log';
import { finishMetering } from '../../lambdas/core/metering';
import { replayOutboxEntry } from '../../lambdas/core/outbox';
import type { Caller } from '../../lambdas/domain/caller';
import type { Reservation } from '../../lambdas/domain/ports';
import type { UsageEvent } from '../../lambdas/domain/usage';
import { createTables, freePort, type LocalDynamo, startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { AccountsRepo } from '../../lambdas/store/accounts-repo';
import { documentClient } from '../../lambdas/store/dynamo';
import { ErasureRepo } from '../../lambdas/store/erasure-repo';
import { LimitsRepo } from '../../lambdas/store/limits-repo';
import { SpoolOutbox } from '../../lambdas/store/outbox-spool';
import { tableNamesFromEnv } from '../../lambdas/store/tables';
import { UsageRepo } from '../../lambdas/store/usage-repo';
import { usageEventOf } from '../helpers/usage-records';

const dir = mkdtempSync(join(tmpdir(), 'ctr-outbox-'));
const tables = tableNamesFromEnv({}, 'ob-');
let dynamo: LocalDynamo;
let port: number;
const logs: string[] = [];
const log = jsonLogger((l) => logs.push(l), 'debug');

function event(requestId: string, costNanoUsd: number): UsageEvent {
  return usageEventOf({ requestId, accountId: 'acct-ob', keyId: 'key-ob', costNanoUsd, referenceCostNanoUsd: costNanoUsd });
}

beforeAll(async () => {
  port = await freePort();
  dynamo = await startDynamoLocal({ port, dataDir: join(dir, 'dynamodb') });
  await createTables(dynamo.endpoint, tables);
}, 90_000);

afterAll(async () => {
  await dynamo?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('metering outbox with a store killed mid-traffic', () => {
  it('replays every record and settle exactly once after the store is back', async () => {
    // Prepare: an account with a budget, and reservations taken while the store is up.
    const db = documentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' });
    const usage = new UsageRepo(db, tables.usage, 30, tables.accounts);
    const limits = new LimitsRepo(db, tables.limits, 300);
    const accounts = new AccountsRepo(db, tables.accounts);
    await accounts.create({ accountId: 'acct-ob', status: 'active', createdAt: new Date().toISOString() } as never);
    const caller: Caller = { accountId: 'acct-ob', keyId: 'key-ob', accountLimits: { monthlyBudgetNanoUsd: 1_000_000 } };
    const ids = Array.from({ length: 6 }, (_, i) => `req_ob_${i}`);
    const reservations: Reservation[] = [];
    for (const id of ids) reservations.push(await limits.reserve(caller, id, 50_000, 100));
    const outbox = new SpoolOutbox(join(dir, 'outbox.jsonl'));
    const deps = { recordUsage: (e: UsageEvent, o: { analytics: boolean }) => usage.record(e, o), outbox, log };

    // Act: two requests are metered normally, then the store is killed and four more are answered.
    await finishMetering(deps, event(ids[0]!, 1_000), { caller, reservation: reservations[0] });
    await finishMetering(deps, event(ids[1]!, 2_000), { caller, reservation: reservations[1] });
    await dynamo.stop();
    await Promise.all(
      ids.slice(2).map((id, i) => finishMetering(deps, event(id, 3_000 + i), { caller, reservation: reservations[i + 2] })),
    );
    const spooled = readFileSync(outbox.path, 'utf8').trim().split('\n');
    expect(spooled).toHaveLength(4);
    expect(spooled.every((l) => JSON.parse(l).usage && JSON.parse(l).settle)).toBe(true);
    // Replaying while the store is still down keeps every entry.
    const replayDeps = {
      recordUsage: (e: UsageEvent, o: { analytics: boolean }) => usage.record(e, o),
      settleFromOutbox: limits.settleFromOutbox.bind(limits),
      accountErased: async (id: string) => (await accounts.get(id))?.erasedAt !== undefined,
      log,
    };
    expect(await outbox.drain((e) => replayOutboxEntry(replayDeps, e))).toEqual({ replayed: 0, failed: 4 });

    dynamo = await startDynamoLocal({ port, dataDir: join(dir, 'dynamodb') });
    expect(await outbox.drain((e) => replayOutboxEntry(replayDeps, e))).toEqual({ replayed: 4, failed: 0 });
    // A second delivery of the same entries (SQS is at-least-once) changes nothing.
    for (const line of spooled) await replayOutboxEntry(replayDeps, JSON.parse(line));

    // Assess: exactly one record per answered request; committed ≥ spent ≥ 0, and equal once all settled.
    const events = await usage.events('acct-ob');
    expect(events.map((e) => e.requestId).sort()).toEqual([...ids].sort());
    const [daily] = await usage.daily('acct-ob', '0000-00-00', '9999-99-99');
    expect(daily?.requests).toBe(6);
    const [status] = await limits.budgetStatus(caller);
    const expected = 1_000 + 2_000 + 3_000 + 3_001 + 3_002 + 3_003;
    expect(status!.spentUsd).toBeCloseTo(expected / 1e9, 12);
    expect(status!.committedUsd).toBeGreaterThanOrEqual(status!.spentUsd);
    expect(status!.committedUsd).toBeCloseTo(expected / 1e9, 12);
    const holds = await db.send(
      new QueryCommand({
        TableName: tables.limits,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'resv#acct#acct-ob' },
      }),
    );
    expect(holds.Items ?? []).toEqual([]);
    // Nothing content-bearing in the spool or the logs: ids and counts only.
    expect(logs.join('\n')).not.toMatch(/"messages"|"content"/);
  }, 120_000);

  it('a settle after an erasure started (in flight or replayed) writes nothing to the fenced counters', async () => {
    const db = documentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' });
    const limits = new LimitsRepo(db, tables.limits, 300);
    const caller: Caller = { accountId: 'acct-fenced', keyId: 'key-f', accountLimits: { monthlyBudgetNanoUsd: 1_000_000 } };
    const inFlight = await limits.reserve(caller, 'req_f1', 50_000, 100);
    const queued = await limits.reserve(caller, 'req_f2', 50_000, 100);
    const erasure = new ErasureRepo(db, db, tables);
    await erasure.fence('acct-fenced');
    await erasure.deleteAccountData('acct-fenced', ['key-f']);
    await inFlight.settle(1_000, 10);
    await limits.settleFromOutbox(queued.ticket!, 2_000);
    const left = await db.send(
      new QueryCommand({
        TableName: tables.limits,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': 'budget#acct#acct-fenced' },
      }),
    );
    expect(left.Items ?? []).toEqual([]);
  }, 60_000);
});
