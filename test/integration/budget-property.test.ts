/**
 * Budgets cannot be overspent under concurrency, as a property (fast-check) against DynamoDB
 * Local: for any budget and any burst of concurrent requests with any worst-case and actual costs,
 * the reservations admitted never hold more than the budget, every refusal is a 429, and after
 * settling, the counter holds exactly the sum of the actual costs.
 */

import { GetCommand } from '@aws-sdk/lib-dynamodb';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Caller } from '../../lambdas/domain/caller';
import { nanoToUsd } from '../../lambdas/domain/money';
import { createTables, type LocalDynamo, startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { documentClient } from '../../lambdas/store/dynamo';
import { LimitsRepo } from '../../lambdas/store/limits-repo';
import { tableNamesFromEnv } from '../../lambdas/store/tables';
import { asHttp } from '../helpers/http-error';

let dynamo: LocalDynamo;
let limits: LimitsRepo;
let db: ReturnType<typeof documentClient>;
let limitsTable: string;
let accounts = 0;

/** A fresh account whose only limit is a monthly budget of `budget` nano-USD. */
function freshCaller(budget: number): Caller {
  accounts++;
  return {
    accountId: `acct-b${accounts}-${Math.random().toString(36).slice(2, 8)}`,
    keyId: `key-b${accounts}`,
    accountLimits: { monthlyBudgetNanoUsd: budget },
  };
}

/** The account's monthly budget counter, read consistently (0 before the first reservation). */
async function committedOf(caller: Caller): Promise<number> {
  const out = await db.send(
    new GetCommand({
      TableName: limitsTable,
      Key: { pk: `budget#acct#${caller.accountId}`, sk: `month#${new Date().toISOString().slice(0, 7)}` },
      ConsistentRead: true,
    }),
  );
  return Number(out.Item?.committed ?? 0);
}

beforeAll(async () => {
  dynamo = await startDynamoLocal();
  const tables = tableNamesFromEnv({ CTR_TABLE_PREFIX: 'budget-' });
  await createTables(dynamo.endpoint, tables);
  db = documentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' });
  limitsTable = tables.limits;
  limits = new LimitsRepo(db, tables.limits, 300);
});

afterAll(async () => {
  await dynamo?.stop();
});

const burst = fc.record({
  budget: fc.integer({ min: 1_000, max: 1_000_000 }),
  requests: fc.array(
    fc.record({ share: fc.double({ min: 0.01, max: 0.6, noNaN: true }), used: fc.double({ min: 0, max: 1, noNaN: true }) }),
    { minLength: 2, maxLength: 24 },
  ),
});

describe('budgets under concurrency (property)', () => {
  it('concurrent reservations never hold more than the budget, and settle to the exact actual cost', async () => {
    let run = 0;
    let refusals = 0;
    await fc.assert(
      fc.asyncProperty(burst, async ({ budget, requests }) => {
        run++;
        const caller: Caller = {
          accountId: `acct-prop-${run}-${Math.random().toString(36).slice(2, 8)}`,
          keyId: `key-prop-${run}`,
          accountLimits: { monthlyBudgetNanoUsd: budget },
        };
        const asks = requests.map((r) => ({ max: Math.max(1, Math.floor(budget * r.share)), used: r.used }));
        const outcomes = await Promise.allSettled(asks.map((a, i) => limits.reserve(caller, `req-${run}-${i}`, a.max, 10)));
        const admitted = outcomes.flatMap((o, i) => (o.status === 'fulfilled' ? [{ reservation: o.value, ask: asks[i]! }] : []));
        for (const o of outcomes) if (o.status === 'rejected') expect(asHttp(o.reason).status).toBe(429);
        refusals += outcomes.length - admitted.length;
        // Held at once, before any settles: never more than the budget.
        expect(admitted.reduce((n, a) => n + a.ask.max, 0)).toBeLessThanOrEqual(budget);
        expect(admitted.length).toBeGreaterThan(0);

        const actual = admitted.map((a) => Math.floor(a.ask.max * a.ask.used));
        await Promise.all(admitted.map((a, i) => a.reservation.settle(actual[i]!, 5)));
        const [account] = (await limits.budgetStatus(caller)).filter((s) => s.scope === 'account');
        const spent = actual.reduce((n, c) => n + c, 0);
        expect(account!.committedUsd).toBe(nanoToUsd(spent));
        expect(account!.spentUsd).toBe(nanoToUsd(spent));
      }),
      { numRuns: 12 },
    );
    // Bursts were big enough that budgets ran out, so refusals were exercised too.
    expect(refusals).toBeGreaterThan(0);
  });
});

describe('budgets that cover a few requests, in repeated bursts', () => {
  // Budgets exactly at, one nano-USD under and one over a multiple of the request's cost: an
  // admission guard off by one reservation or by one nano-USD admits a different number.
  const cases = [1, 2, 3].flatMap((k) => [
    { k, slack: 0, admits: k, budget: `${k} × cost` },
    { k, slack: -1, admits: k - 1, budget: `${k} × cost − 1 nano-USD` },
    { k, slack: 1, admits: k, budget: `${k} × cost + 1 nano-USD` },
  ]);
  it.each(cases)(
    'a budget of $budget: each burst of 16 admits exactly $admits, the counter never exceeds the budget',
    async ({ k, slack, admits }) => {
      const amount = 7_919;
      for (let round = 0; round < 3; round++) {
        const budget = k * amount + slack;
        const caller = freshCaller(budget);
        const samples: number[] = [];
        let running = true;
        const sampler = (async () => {
          for (let i = 0; running && i < 2_000; i++) {
            samples.push(await committedOf(caller));
            await new Promise((r) => setTimeout(r, 2));
          }
        })();
        const outcomes = await Promise.allSettled(
          Array.from({ length: 16 }, (_, i) => limits.reserve(caller, `${caller.accountId}-${round}-${i}`, amount, 10)),
        );
        running = false;
        await sampler;
        const admitted = outcomes.flatMap((o) => (o.status === 'fulfilled' ? [o.value] : []));
        for (const o of outcomes) if (o.status === 'rejected') expect(asHttp(o.reason).status).toBe(429);
        expect(admitted).toHaveLength(admits);
        expect(Math.max(0, ...samples, await committedOf(caller))).toBeLessThanOrEqual(budget);
        // Each request uses exactly what it reserved: the budget stays as full as it was.
        await Promise.all(admitted.map((r) => r.settle(amount, 10)));
        expect(await committedOf(caller)).toBe(admits * amount);
        // A second burst on the spent budget admits nothing.
        const again = await Promise.allSettled(
          Array.from({ length: 8 }, (_, i) => limits.reserve(caller, `${caller.accountId}-${round}-again-${i}`, amount, 10)),
        );
        expect(again.filter((o) => o.status === 'fulfilled')).toHaveLength(0);
        expect(await committedOf(caller)).toBe(admits * amount);
      }
    },
  );
});

/** One step of a sequential run: reserve `remaining + delta` (a boundary case) or `amount`, or settle an open reservation. */
const step = fc.oneof(
  fc.record({ kind: fc.constant('reserve-boundary' as const), delta: fc.integer({ min: -2, max: 2 }) }),
  fc.record({ kind: fc.constant('reserve' as const), amount: fc.integer({ min: 1, max: 400_000 }) }),
  fc.record({ kind: fc.constant('settle' as const), pick: fc.nat(), used: fc.double({ min: 0, max: 1, noNaN: true }) }),
);

describe('reservation and settle arithmetic (property)', () => {
  it('every reservation is admitted exactly when it fits, and the counter is always the sum of open holds and settled costs', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 1_000_000 }), fc.array(step, { minLength: 1, maxLength: 14 }), async (budget, steps) => {
        const caller = freshCaller(budget);
        const open: Array<{ amount: number; settle: (cost: number, tokens: number) => Promise<void> }> = [];
        let committed = 0;
        for (const [i, s] of steps.entries()) {
          if (s.kind === 'settle') {
            if (!open.length) continue;
            const [held] = open.splice(s.pick % open.length, 1);
            const cost = Math.floor(held!.amount * s.used);
            await held!.settle(cost, 10);
            committed += cost - held!.amount;
          } else {
            const amount = s.kind === 'reserve' ? s.amount : Math.max(1, budget - committed + s.delta);
            const fits = committed + amount <= budget;
            const got = await limits.reserve(caller, `${caller.accountId}-${i}`, amount, 10).then(
              (r) => r,
              (e: unknown) => {
                expect(asHttp(e).status).toBe(429);
                return undefined;
              },
            );
            expect(got !== undefined, `reserve ${amount} with ${committed} of ${budget} committed`).toBe(fits);
            if (got) {
              open.push({ amount, settle: got.settle });
              committed += amount;
            }
          }
          expect(await committedOf(caller)).toBe(committed);
        }
      }),
      { numRuns: 25 },
    );
  });
});
