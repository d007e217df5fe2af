/**
 * Budget and rate-window leases against DynamoDB Local: two instances (two LeasedLimits with their
 * own holders, as two Lambda instances) sharing one budget never overspend it; slices shrink to
 * per-request near the limit; a dead instance's lease is released by the sweep after it expires;
 * unused lease goes back; settles are written back in fewer writes than requests; and a warm
 * request whose slice covers it makes no store call before the upstream call.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LEASE_TTL_SECONDS } from '../../lambdas/core/lease-policy';
import { LeasedLimits } from '../../lambdas/core/leased-limits';
import type { Caller } from '../../lambdas/domain/caller';
import { createTables, type LocalDynamo, startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { LeaseRepo } from '../../lambdas/store/lease-repo';
import { LimitsRepo } from '../../lambdas/store/limits-repo';
import { type TableNames, tableNamesFromEnv } from '../../lambdas/store/tables';
import { asHttp } from '../helpers/http-error';
import { type CountedClient, countingClient } from '../helpers/store-calls';

let dynamo: LocalDynamo;
let tables: TableNames;
let store: CountedClient;
let n = 0;

beforeAll(async () => {
  dynamo = await startDynamoLocal();
  tables = tableNamesFromEnv({ CTR_TABLE_PREFIX: 'lease-' });
  await createTables(dynamo.endpoint, tables);
  store = countingClient(dynamo.endpoint);
});

afterAll(async () => {
  await dynamo?.stop();
});

/** One "function instance": its own lease accounting and holder name, on the shared table. */
function instance(now: () => Date = () => new Date()) {
  const repo = new LeaseRepo(store.db, tables.limits, 300, now);
  const limits = new LimitsRepo(store.db, tables.limits, 300, now);
  return new LeasedLimits({ store: repo, status: (c) => limits.budgetStatus(c), now });
}

function freshCaller(limits: Caller['accountLimits']): Caller {
  n++;
  return { accountId: `acct-l${n}-${Math.random().toString(36).slice(2, 8)}`, keyId: `key-l${n}`, accountLimits: limits };
}

async function counter(caller: Caller, now = new Date()): Promise<Record<string, any>> {
  const out = await store.db.send(
    new GetCommand({
      TableName: tables.limits,
      Key: { pk: `budget#acct#${caller.accountId}`, sk: `month#${now.toISOString().slice(0, 7)}` },
      ConsistentRead: true,
    }),
  );
  return out.Item ?? {};
}

describe('two instances share one budget', () => {
  it('bursts through two instances never hold more than the budget, and settle to the exact spend', async () => {
    const cost = 7_919;
    for (const k of [1, 3, 10, 40]) {
      const budget = k * cost;
      const caller = freshCaller({ monthlyBudgetNanoUsd: budget });
      const [a, b] = [instance(), instance()];
      let peak = 0;
      let sampling = true;
      const sampler = (async () => {
        for (let i = 0; sampling && i < 2_000; i++) {
          peak = Math.max(peak, Number((await counter(caller)).committed ?? 0));
          await new Promise((r) => setTimeout(r, 2));
        }
      })();
      const asks = Array.from({ length: 2 * k + 8 }, (_, i) => (i % 2 ? a : b).reserve(caller, `r${i}`, cost, 10));
      const outcomes = await Promise.allSettled(asks);
      const admitted = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
      for (const o of outcomes) if (o.status === 'rejected') expect(asHttp(o.reason).code).toBe('budget_exceeded');
      // Never more than the budget covers; a slice held by one instance may refuse a request on the other.
      expect(admitted.length).toBeLessThanOrEqual(k);
      expect(admitted.length).toBeGreaterThan(0);
      const used = admitted.map((_, i) => cost - (i % 3));
      await Promise.all(admitted.map((r, i) => r.settle(used[i]!, 5)));
      await Promise.all([a.returnAll(), b.returnAll()]);
      sampling = false;
      await sampler;
      const item = await counter(caller);
      expect(Math.max(peak, item.committed)).toBeLessThanOrEqual(budget);
      // Every lease returned: committed is the settled spend, exactly.
      expect(item.spent).toBe(used.reduce((s, c) => s + c, 0));
      expect(item.committed).toBe(item.spent);
      expect(item.requests).toBe(admitted.length);
    }
  }, 120_000);
});

describe('slices', () => {
  it('shrink with the remaining budget, down to one request’s worst case near the limit; exactly N are admitted', async () => {
    const cost = 1_000;
    const caller = freshCaller({ monthlyBudgetNanoUsd: 100 * cost });
    const one = instance();
    const sizes: number[] = [];
    let held = 0;
    let admitted = 0;
    for (let i = 0; i < 120; i++) {
      const before = Number((await counter(caller)).committed ?? 0);
      const r = await one.reserve(caller, `s${i}`, cost, 10).catch(() => undefined);
      const after = Number((await counter(caller)).committed ?? 0);
      if (after > before) sizes.push(after - before);
      if (!r) break;
      admitted++;
      await r.settle(cost, 10);
      held = Number((await counter(caller))[`lease_${one.holder}`] ?? 0);
    }
    expect(admitted).toBe(100);
    // Early slices cover several requests; they shrink with the room, and the last ones are per request
    // (what one request still lacked after the rest of the slice).
    expect(sizes[0]).toBeGreaterThan(5 * cost);
    for (let i = 1; i < sizes.length; i++) expect(sizes[i]).toBeLessThanOrEqual(Math.max(sizes[i - 1]!, cost));
    for (const last of sizes.slice(-3)) expect(last).toBeLessThanOrEqual(cost);
    expect(held).toBe(0);
    expect((await counter(caller)).committed).toBe(100 * cost);
  }, 60_000);
});

describe('a dead instance', () => {
  it('holds its lease until it expires; then the sweep releases it for the others', async () => {
    let now = new Date('2026-05-10T08:00:00Z');
    const clock = () => now;
    const cost = 1_000;
    const caller = freshCaller({ monthlyBudgetNanoUsd: 20 * cost });
    const dead = instance(clock);
    // The dead instance served a few requests and took a slice, then stopped without returning it.
    for (let i = 0; i < 3; i++) await (await dead.reserve(caller, `d${i}`, cost, 10)).settle(cost, 10);
    const survivor = instance(clock);
    const served: number[] = [];
    for (let i = 0; i < 40; i++) {
      const r = await survivor.reserve(caller, `s${i}`, cost, 10).catch((e: unknown) => e);
      if (r instanceof Error) break;
      await (r as Awaited<ReturnType<LeasedLimits['reserve']>>).settle(cost, 10);
      served.push(i);
    }
    const stuck = Number((await counter(caller, now))[`lease_${dead.holder}`] ?? 0);
    expect(stuck).toBeGreaterThan(0);
    expect(served.length).toBe(Math.floor(17 - stuck / cost));
    // Past the lease's expiry, the next refused take sweeps the dead lease and the room is usable again.
    now = new Date(now.getTime() + (LEASE_TTL_SECONDS + 1) * 1000);
    const late = 20 - 3 - served.length;
    expect(late).toBeGreaterThan(0);
    for (let i = 0; i < late; i++) await (await survivor.reserve(caller, `late${i}`, cost, 10)).settle(cost, 10);
    await expect(survivor.reserve(caller, 'over', cost, 10)).rejects.toMatchObject({ code: 'budget_exceeded' });
    const item = await counter(caller, now);
    expect(item[`lease_${dead.holder}`]).toBeUndefined();
    expect(item.committed).toBe(20 * cost);
    expect(item.spent).toBe(20 * cost);
  }, 60_000);
});

describe('write-backs', () => {
  it('return unused lease on demand (idle), and write many settles in fewer writes than requests', async () => {
    const caller = freshCaller({ monthlyBudgetNanoUsd: 1_000_000_000 });
    const one = instance();
    const first = await one.reserve(caller, 'w0', 1_000, 10);
    await first.settle(400, 10);
    const leased = await counter(caller);
    expect(leased[`lease_${one.holder}`]).toBeGreaterThan(0);
    expect(leased.committed).toBe(400 + leased[`lease_${one.holder}`]);
    const writesBefore = one.flushWrites();
    const burst = await Promise.all(Array.from({ length: 40 }, (_, i) => one.reserve(caller, `w${i + 1}`, 1_000, 10)));
    await Promise.all(burst.map((r) => r.settle(300, 10)));
    const writes = one.flushWrites() - writesBefore;
    expect(writes).toBeGreaterThan(0);
    expect(writes).toBeLessThan(10);
    await one.returnAll();
    const item = await counter(caller);
    expect(item[`lease_${one.holder}`]).toBe(0);
    expect(item.spent).toBe(400 + 40 * 300);
    expect(item.committed).toBe(item.spent);
    expect(item.requests).toBe(41);
  }, 60_000);

  it('a warm request whose slice covers it makes no store call before the upstream; a refill makes one', async () => {
    const caller = freshCaller({ monthlyBudgetNanoUsd: 1_000_000_000, rpm: 10_000, tpm: 10_000_000 });
    caller.keyLimits = { dailyBudgetNanoUsd: 500_000_000, rpm: 5_000 };
    const one = instance();
    const before = store.calls.length;
    const cold = await one.reserve(caller, 'c0', 1_000, 100);
    // Four counters refilled in parallel: one round trip of latency, one write each.
    const coldCalls = store.calls.length - before;
    expect(coldCalls).toBe(4);
    await cold.settle(1_000, 100);
    for (let i = 0; i < 5; i++) {
      const at = store.calls.length;
      const r = await one.reserve(caller, `c${i + 1}`, 1_000, 100);
      expect(store.calls.length - at).toBe(0);
      await r.settle(900, 90);
    }
  }, 60_000);
});
