/**
 * Budgets cannot be overspent under concurrency, as a property (fast-check) against DynamoDB
 * Local: for any budget and any burst of concurrent requests with any worst-case and actual costs,
 * the reservations admitted never hold more than the budget, every refusal is a 429, and after
 * settling, the counter holds exactly the sum of the actual costs.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTables, type LocalDynamo, startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { documentClient } from '../../lambdas/store/dynamo';
import { LimitsRepo } from '../../lambdas/store/limits-repo';
import { tableNamesFromEnv } from '../../lambdas/store/tables';
import type { Caller } from '../../lambdas/domain/caller';
import { nanoToUsd } from '../../lambdas/domain/money';
import { asHttp } from '../helpers/http-error';

let dynamo: LocalDynamo;
let limits: LimitsRepo;

beforeAll(async () => {
  dynamo = await startDynamoLocal();
  const tables = tableNamesFromEnv({ CTR_TABLE_PREFIX: 'budget-' });
  await createTables(dynamo.endpoint, tables);
  limits = new LimitsRepo(documentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' }), tables.limits, 300);
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
