/**
 * Money across several router instances and their faults, against one DynamoDB Local: three
 * instances in this process (each its own key cache, lease holder and store client, one injectable
 * clock) spend one key's budget. A burst never overspends it; a budget lowered mid-burst takes no
 * new slice anywhere and caps the slices held; a raised one applies at once; an instance killed
 * (its store calls cut) gives back exactly its unspent lease once it expires, on another's refill;
 * a refill or write-back whose answer was lost is learned of, never left held or counted twice.
 * Amounts are exact, in nano-USD. The bounds are stated in docs/guarantees-leases.md.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { LEASE_TTL_SECONDS, LOST_TAKE_PROBE_MS } from '../../lambdas/core/lease-policy';
import { jsonLogger } from '../../lambdas/core/log';
import { nanoToUsd } from '../../lambdas/domain/money';
import { createRuntime, type Runtime } from '../../lambdas/handlers/runtime';
import { createTables, type LocalDynamo, startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { documentClient } from '../../lambdas/store/dynamo';
import { type TableNames, tableNamesFromEnv } from '../../lambdas/store/tables';
import { defaultConfig } from '../helpers/config';
import { asHttp } from '../helpers/http-error';
import { type Instance, keyMonthCounter, recordedSpend, routerInstance } from '../helpers/instances';

/** A request's worst case and what it actually costs (nano-USD). */
const WORST = 10_000;
const ACTUAL = 7_000;

let dynamo: LocalDynamo;
let tables: TableNames;
let rt: Runtime;
let db: ReturnType<typeof documentClient>;
let now = new Date();
const clock = () => now;
let n = 0;

let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  dynamo = await startDynamoLocal();
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    CTR_CONFIG_JSON: JSON.stringify(defaultConfig()),
    CTR_TABLE_PREFIX: 'inst-',
    CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
    CTR_DYNAMODB_ENDPOINT: dynamo.endpoint,
  };
  tables = tableNamesFromEnv(env);
  await createTables(dynamo.endpoint, tables);
  // The operator's side (admin API, CLI): accounts, keys, limit changes.
  rt = await createRuntime(
    env,
    jsonLogger(() => undefined),
  );
  db = documentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' });
}, 60_000);

afterAll(async () => {
  await dynamo?.stop();
});

function instances(count: number): Instance[] {
  return Array.from({ length: count }, () =>
    routerInstance({ endpoint: dynamo.endpoint, tables, now: clock, resolveCaller: (s) => rt.accounts.resolveCaller(s) }),
  );
}

/** A fresh account with one key whose monthly budget is `budgetNano`. */
async function keyWithBudget(budgetNano: number): Promise<{ accountId: string; keyId: string; secret: string }> {
  const accountId = `acct-i${++n}-${randomBytes(3).toString('hex')}`;
  await rt.accounts.createAccount({ accountId });
  const k = await rt.accounts.createKey(accountId, { name: 'k', limits: { monthlyBudgetUsd: nanoToUsd(budgetNano) } });
  return { accountId, keyId: k.keyId, secret: k.key };
}

const counter = (keyId: string) => keyMonthCounter(db, tables.limits, keyId, now);
const recorded = (accountId: string) => recordedSpend(db, tables.usage, accountId);

/** Samples the counter's `committed` until stopped: the most the store ever held. */
function sampler(keyId: string) {
  let peak = 0;
  let on = true;
  const run = (async () => {
    while (on) {
      peak = Math.max(peak, Number((await counter(keyId).catch(() => ({}) as Record<string, any>)).committed ?? 0));
      await new Promise((r) => setTimeout(r, 2));
    }
  })();
  return {
    stop: async () => {
      on = false;
      await run;
      return peak;
    },
  };
}

async function outcomes(asks: Array<Promise<void>>): Promise<{ admitted: number; refusedCodes: Set<string> }> {
  const settled = await Promise.allSettled(asks);
  const refusedCodes = new Set(settled.flatMap((o) => (o.status === 'rejected' ? [String(asHttp(o.reason).code)] : [])));
  return { admitted: settled.filter((o) => o.status === 'fulfilled').length, refusedCodes };
}

describe('three instances, one budget', () => {
  it('a burst never overspends it, and everything settled and returned is the recorded spend exactly', async () => {
    // Prepare
    now = new Date();
    const budget = 50 * WORST;
    const { accountId, keyId, secret } = await keyWithBudget(budget);
    const group = instances(3);
    for (const g of group) await g.warm(secret);
    const peak = sampler(keyId);

    // Act: 120 requests at once, 40 through each instance
    const { admitted, refusedCodes } = await outcomes(Array.from({ length: 120 }, (_, i) => group[i % 3]!.request(secret, WORST, ACTUAL)));
    await Promise.all(group.map((g) => g.leases.releaseAll()));

    // Assess
    const item = await counter(keyId);
    const spend = await recorded(accountId);
    console.info(`burst: ${admitted} of 120 admitted against ${budget / WORST} worst cases`);
    expect(admitted).toBeGreaterThan(0);
    expect([...refusedCodes]).toEqual(['budget_exceeded']);
    expect(await peak.stop()).toBeLessThanOrEqual(budget);
    expect(spend).toEqual({ count: admitted, nano: admitted * ACTUAL });
    expect(spend.nano).toBeLessThanOrEqual(budget);
    expect(item.spent).toBe(admitted * ACTUAL);
    expect(item.committed).toBe(item.spent);
  }, 120_000);
});

describe('a limit changed while every instance caches the old one', () => {
  it('lowered mid-burst: no instance takes a new slice, the slices held are capped, spend ≤ max(new budget, committed at the change)', async () => {
    // Prepare: a $1 budget; each instance serves one request (and holds a slice), caching the key
    now = new Date();
    const { accountId, keyId, secret } = await keyWithBudget(1_000_000_000);
    const group = instances(3);
    for (const g of group) await g.request(secret, WORST, ACTUAL);
    const lowered = 20 * WORST;

    // Act: the budget is lowered; then 300 requests at once, 100 per instance, with every cache still stale
    await rt.accounts.setKeyLimits(keyId, { monthlyBudgetUsd: nanoToUsd(lowered) });
    const atChange = Number((await counter(keyId)).committed);
    const peak = sampler(keyId);
    const burst = await outcomes(Array.from({ length: 300 }, (_, i) => group[i % 3]!.request(secret, WORST, ACTUAL)));
    // Every instance learned of the new limit at its write-back: its slice is cut and returned, unasked.
    await vi.waitFor(
      async () => {
        const item = await counter(keyId);
        for (const g of group) expect(item[`lease_${g.leases.holder}`]).toBe(0);
      },
      { timeout: 10_000, interval: 50 },
    );
    const after = await outcomes(Array.from({ length: 30 }, (_, i) => group[i % 3]!.request(secret, WORST, ACTUAL)));

    // Assess
    const item = await counter(keyId);
    const spend = await recorded(accountId);
    console.info(
      `lowered to ${lowered} nano with ${atChange} committed: ${burst.admitted} of 300 admitted, ${spend.nano} nano recorded; then ${after.admitted} of 30`,
    );
    expect(await peak.stop()).toBeLessThanOrEqual(atChange);
    expect(item.limit).toBe(lowered);
    expect(spend).toEqual({ count: 3 + burst.admitted, nano: (3 + burst.admitted) * ACTUAL });
    expect(spend.nano).toBeLessThanOrEqual(Math.max(lowered, atChange));
    expect(after.admitted).toBe(0);
    expect([...after.refusedCodes]).toEqual(['budget_exceeded']);
    expect(item.spent).toBe(spend.nano);
    expect(item.committed).toBe(item.spent);
  }, 120_000);

  it('lowered under steady traffic: each instance admits one more request (served from its slice), whose write-back learns the limit', async () => {
    // Prepare: a $1 budget; each instance serves one request (and holds a slice), caching the key
    now = new Date();
    const { accountId, keyId, secret } = await keyWithBudget(1_000_000_000);
    const group = instances(3);
    for (const g of group) await g.request(secret, WORST, ACTUAL);

    // Act: lowered to two worst cases; then requests one after another, round robin
    await rt.accounts.setKeyLimits(keyId, { monthlyBudgetUsd: nanoToUsd(2 * WORST) });
    const served: number[] = [0, 0, 0];
    for (let i = 0; i < 30; i++)
      await group[i % 3]!.request(secret, WORST, ACTUAL).then(
        () => served[i % 3]!++,
        (err: unknown) => expect(asHttp(err).code).toBe('budget_exceeded'),
      );
    await vi.waitFor(async () => expect((await counter(keyId)).committed).toBe(6 * ACTUAL), { timeout: 5_000, interval: 20 });

    // Assess
    const item = await counter(keyId);
    expect(served).toEqual([1, 1, 1]);
    expect(await recorded(accountId)).toEqual({ count: 6, nano: 6 * ACTUAL });
    expect(item.spent).toBe(6 * ACTUAL);
    for (const g of group) expect(item[`lease_${g.leases.holder}`]).toBe(0);
  }, 60_000);

  it('raised: an instance whose cache holds the old limit admits at once what the new one covers', async () => {
    // Prepare: two worst cases of budget; both instances cache the key, and the budget is spent
    now = new Date();
    const { accountId, keyId, secret } = await keyWithBudget(2 * WORST);
    const [a, b] = instances(2) as [Instance, Instance];
    await b.request(secret, WORST, ACTUAL);
    await a.request(secret, WORST, ACTUAL);
    await expect(a.request(secret, WORST, ACTUAL)).rejects.toMatchObject({ code: 'budget_exceeded' });
    await Promise.all([a.leases.releaseAll(), b.leases.releaseAll()]);

    // Act: raised to ten; the caches still say two
    await rt.accounts.setKeyLimits(keyId, { monthlyBudgetUsd: nanoToUsd(10 * WORST) });
    for (let i = 0; i < 3; i++) await b.request(secret, WORST, ACTUAL);
    await Promise.all([a.leases.releaseAll(), b.leases.releaseAll()]);

    // Assess
    const item = await counter(keyId);
    expect(await recorded(accountId)).toEqual({ count: 5, nano: 5 * ACTUAL });
    expect(item.spent).toBe(5 * ACTUAL);
    expect(item.committed).toBe(5 * ACTUAL);
  }, 60_000);
});

describe('an instance killed with a lease (kill -9)', () => {
  it('once the lease expires, another instance’s refill releases exactly the unspent part: settled spend stays counted', async () => {
    // Prepare: a serves 5 requests; 3 more are settled but die before their records; 2 are in flight
    now = new Date();
    const { accountId, keyId, secret } = await keyWithBudget(1000 * WORST);
    const [a, b] = instances(2) as [Instance, Instance];
    for (let i = 0; i < 5; i++) await a.request(secret, WORST, ACTUAL);
    a.usageFaults.dead = true;
    await Promise.all(Array.from({ length: 3 }, () => a.request(secret, WORST, ACTUAL)));
    await Promise.all(Array.from({ length: 2 }, () => a.reserve(secret, WORST)));
    a.faults.dead = true;
    const stranded = Number((await counter(keyId))[`lease_${a.leases.holder}`]);

    // Act: past the lease's expiry, b serves one request (its refill is taken: plenty of room)
    now = new Date(now.getTime() + (LEASE_TTL_SECONDS + 1) * 1000);
    await b.request(secret, WORST, ACTUAL);
    await vi.waitFor(async () => expect((await counter(keyId))[`lease_${a.leases.holder}`]).toBeUndefined(), {
      timeout: 5_000,
      interval: 20,
    });
    await b.leases.releaseAll();

    // Assess: a's 8 settles stay counted; only its unspent lease (with the 2 in flight) went back
    const item = await counter(keyId);
    const spend = await recorded(accountId);
    expect(stranded).toBeGreaterThan(2 * WORST);
    expect(item.spent).toBe(9 * ACTUAL);
    expect(item.committed).toBe(9 * ACTUAL);
    expect(item.requests).toBe(9);
    // The kill -9 loss: 3 answered requests without a record, their spend counted (never returned to the budget).
    expect(spend).toEqual({ count: 6, nano: 6 * ACTUAL });
  }, 60_000);
});

describe('a store answer lost after the write landed', () => {
  it('a refill: the next request learns its slice is held, and takes no other', async () => {
    // Prepare
    now = new Date();
    const { keyId, secret } = await keyWithBudget(1000 * WORST);
    const [c] = instances(1) as [Instance];
    c.faults.dropNext = /UpdateItem/;

    // Act: the refill lands, its answer is lost (503 to the client); then the next request
    await expect(c.request(secret, WORST, ACTUAL)).rejects.toMatchObject({ code: 'store_unavailable' });
    const slice = Number((await counter(keyId))[`lease_${c.leases.holder}`]);
    await c.request(secret, WORST, ACTUAL);
    const afterNext = await counter(keyId);
    await c.leases.releaseAll();

    // Assess: the slice the lost refill took served the next request; all of it comes back
    const item = await counter(keyId);
    expect(c.faults.dropped).toEqual(['UpdateItemCommand']);
    expect(slice).toBeGreaterThanOrEqual(WORST);
    expect(afterNext.committed).toBe(slice);
    expect(afterNext[`lease_${c.leases.holder}`]).toBe(slice - ACTUAL);
    expect(item[`lease_${c.leases.holder}`]).toBe(0);
    expect(item.spent).toBe(ACTUAL);
    expect(item.committed).toBe(ACTUAL);
  }, 60_000);

  it('a refill on an instance that gets no more requests: it asks the store by itself, and returns the slice', async () => {
    // Prepare
    now = new Date();
    const { keyId, secret } = await keyWithBudget(1000 * WORST);
    const [d] = instances(1) as [Instance];
    d.faults.dropNext = /UpdateItem/;

    // Act
    await expect(d.request(secret, WORST, ACTUAL)).rejects.toMatchObject({ code: 'store_unavailable' });
    const lost = await counter(keyId);
    // The probe fences the lost take off and reads whether it landed, by itself.
    await vi.waitFor(async () => expect((await counter(keyId))[`leaseFence_${d.leases.holder}`]).toBeGreaterThan(0), {
      timeout: LOST_TAKE_PROBE_MS + 3_000,
      interval: 50,
    });
    await d.leases.releaseAll();

    // Assess
    const item = await counter(keyId);
    expect(lost[`lease_${d.leases.holder}`]).toBeGreaterThan(0);
    expect(item[`lease_${d.leases.holder}`]).toBe(0);
    expect(item.committed).toBe(0);
  }, 60_000);

  it('a refill that reaches the store only after the instance gave up on it (a store pause) is fenced off, never held', async () => {
    // Prepare: the refill times out for the instance at once and reaches the store 4 s later
    now = new Date();
    const { keyId, secret } = await keyWithBudget(1000 * WORST);
    const [f] = instances(1) as [Instance];
    f.faults.lateNext = /UpdateItem/;
    f.faults.lateMs = LOST_TAKE_PROBE_MS + 2_000;

    // Act: the probe runs (and fences) before the late refill arrives
    await expect(f.request(secret, WORST, ACTUAL)).rejects.toMatchObject({ code: 'store_unavailable' });
    await new Promise((r) => setTimeout(r, LOST_TAKE_PROBE_MS + 3_000));
    const afterLate = await counter(keyId);
    await f.request(secret, WORST, ACTUAL);
    await f.leases.releaseAll();

    // Assess: the late refill changed nothing; the next request took its own slice, all returned
    const item = await counter(keyId);
    expect(f.faults.dropped).toEqual(['UpdateItemCommand']);
    expect(afterLate.committed).toBeUndefined();
    expect(afterLate[`lease_${f.leases.holder}`]).toBeUndefined();
    expect(item[`lease_${f.leases.holder}`]).toBe(0);
    expect(item.spent).toBe(ACTUAL);
    expect(item.committed).toBe(ACTUAL);
  }, 60_000);

  it('a write-back: retried as cut, counted once', async () => {
    // Prepare
    now = new Date();
    const { accountId, keyId, secret } = await keyWithBudget(1000 * WORST);
    const [e] = instances(1) as [Instance];
    await e.request(secret, WORST, ACTUAL);
    e.faults.dropNext = /TransactWriteItems/;

    // Act
    await e.request(secret, WORST, ACTUAL);
    await e.leases.releaseAll();

    // Assess
    const item = await counter(keyId);
    expect(e.faults.dropped).toEqual(['TransactWriteItemsCommand']);
    expect(item.spent).toBe(2 * ACTUAL);
    expect(item.requests).toBe(2);
    expect(item.committed).toBe(2 * ACTUAL);
    expect(await recorded(accountId)).toEqual({ count: 2, nano: 2 * ACTUAL });
  }, 60_000);
});

describe('an instance that stops', () => {
  it('returns every unused slice on its close path (the local server calls it after its last request)', async () => {
    // Prepare: a second runtime (another instance) serves a request and keeps its slice
    now = new Date();
    const { keyId, secret } = await keyWithBudget(1000 * WORST);
    const other = await createRuntime(
      env,
      jsonLogger(() => undefined),
    );
    const caller = (await other.auth.authenticateKey(secret)) as Parameters<typeof other.leases.reserve>[0];
    const r = await other.leases.reserve(caller, 'stop-1', WORST, 10);
    await r.settle(ACTUAL, 10);
    const held = Number((await counter(keyId))[`lease_${other.leases.holder}`]);

    // Act
    await other.close();

    // Assess
    const item = await counter(keyId);
    expect(held).toBeGreaterThan(0);
    expect(item[`lease_${other.leases.holder}`]).toBe(0);
    expect(item.committed).toBe(ACTUAL);
    expect(item.spent).toBe(ACTUAL);
  }, 60_000);
});
