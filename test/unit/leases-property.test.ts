/**
 * The local lease arithmetic as a property (fast-check): two instances sharing one budget through
 * an in-memory store that applies each take and write-back atomically with the same condition as
 * DynamoDB (`committed + slice ≤ limit`), with store answers arriving in any order. Whatever the
 * asks, costs and interleaving: the store's committed never exceeds the limit, what is granted at
 * once never exceeds it, and once everything is settled and returned, committed = spent = the sum
 * of the actual costs. (The same guarantees against DynamoDB Local: test/integration/leases.test.ts.)
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LeasedLimits } from '../../lambdas/core/leased-limits';
import type { BatchAnswer, LeaseAmounts, LeaseBatch, LeaseCounter, LeaseStore, TakeAnswer } from '../../lambdas/domain/ports';

/** One budget counter in memory; every call yields to the event loop a random number of times first. */
class MemoryStore implements LeaseStore {
  committed = 0;
  spent = 0;
  peak = 0;
  readonly holders = new Map<string, number>();
  private readonly markers = new Set<string>();
  constructor(
    readonly limit: number,
    private readonly delay: () => number,
  ) {}

  private async jitter(): Promise<void> {
    for (let i = this.delay(); i > 0; i--) await Promise.resolve();
  }

  counters(): { budgets: LeaseCounter[]; windows: LeaseCounter[] } {
    const counter: LeaseCounter = {
      key: { pk: 'budget#acct#a', sk: 'month#2026-05' },
      kind: 'budget',
      limits: { committed: this.limit },
      limitsAt: 0,
      who: 'account',
      label: 'monthly budget of this account',
      resetAt: new Date('2026-06-01T00:00:00Z'),
    };
    return { budgets: [counter], windows: [] };
  }

  async take(_c: LeaseCounter, holder: string, amount: LeaseAmounts): Promise<TakeAnswer> {
    await this.jitter();
    const a = amount.committed ?? 0;
    if (this.committed + a > this.limit) return { taken: false, used: { committed: this.committed }, expired: [] };
    this.committed += a;
    this.peak = Math.max(this.peak, this.committed);
    this.holders.set(holder, (this.holders.get(holder) ?? 0) + a);
    const answer = { taken: true, used: { committed: this.committed }, expired: [], held: this.holders.get(holder)! };
    await this.jitter();
    return answer;
  }

  async fence(): Promise<{ lastOp?: number }> {
    return {};
  }

  async releaseExpired(): Promise<number> {
    return 0;
  }

  async writeBatch(_accountId: string, batch: LeaseBatch): Promise<BatchAnswer> {
    await this.jitter();
    if (this.markers.has(batch.flushId)) return { gone: [], newer: [] };
    this.markers.add(batch.flushId);
    for (const w of batch.writes) {
      this.committed += w.spent + w.holdDelta;
      this.spent += w.spent;
      this.peak = Math.max(this.peak, this.committed);
      this.holders.set(batch.holder, (this.holders.get(batch.holder) ?? 0) + w.holdDelta);
    }
    return { gone: [], newer: [] };
  }
}

const run = fc.record({
  budget: fc.integer({ min: 1, max: 200_000 }),
  asks: fc.array(
    fc.record({
      on: fc.boolean(),
      share: fc.double({ min: 0.001, max: 0.5, noNaN: true }),
      used: fc.double({ min: 0, max: 1, noNaN: true }),
      wave: fc.nat(3),
    }),
    {
      minLength: 1,
      maxLength: 40,
    },
  ),
  seed: fc.integer(),
});

describe('lease arithmetic (property)', () => {
  it('two instances never overspend; settled and returned, committed equals the actual spend', async () => {
    await fc.assert(
      fc.asyncProperty(run, async ({ budget, asks, seed }) => {
        let s = seed;
        const store = new MemoryStore(budget, () => {
          s = (s * 1103515245 + 12345) & 0x7fffffff;
          return s % 4;
        });
        const instances = [new LeasedLimits({ store, status: async () => [] }), new LeasedLimits({ store, status: async () => [] })];
        const caller = { accountId: 'a', keyId: 'k' };
        let granted = 0;
        let grantedPeak = 0;
        let spend = 0;
        for (let wave = 0; wave < 4; wave++) {
          const mine = asks.filter((a) => a.wave === wave);
          await Promise.all(
            mine.map(async (a, i) => {
              const worst = Math.max(1, Math.floor(budget * a.share));
              const r = await instances[a.on ? 1 : 0]!.reserve(caller, `r${wave}-${i}`, worst, 1).catch(() => undefined);
              if (!r) return;
              granted += worst;
              grantedPeak = Math.max(grantedPeak, granted);
              const actual = Math.floor(worst * a.used);
              await Promise.resolve();
              granted -= worst;
              spend += actual;
              await r.settle(actual, 1);
            }),
          );
        }
        await Promise.all(instances.map((l) => l.returnAll()));
        expect(store.peak).toBeLessThanOrEqual(budget);
        expect(grantedPeak).toBeLessThanOrEqual(budget);
        expect(store.spent).toBe(spend);
        expect(store.committed).toBe(spend);
        for (const held of store.holders.values()) expect(held).toBe(0);
      }),
      { numRuns: 200 },
    );
  });
});

describe('a refill while this instance writes back', () => {
  it('waits for its own write-back (which returns unused lease) instead of refusing a request the budget covers', async () => {
    const worst = 1000;
    const store = new MemoryStore(3.5 * worst, () => 0);
    // The write-back is held until the test lets it through.
    let open: () => void = () => undefined;
    const gate = new Promise<void>((r) => {
      open = r;
    });
    const writeBatch = store.writeBatch.bind(store);
    store.writeBatch = async (...args) => {
      await gate;
      return writeBatch(...args);
    };
    const limits = new LeasedLimits({ store, status: async () => [] });
    const caller = { accountId: 'a', keyId: 'k' };
    const held = [];
    for (let i = 0; i < 3; i++) held.push(await limits.reserve(caller as never, `r${i}`, worst, 1));
    // Three settle at a quarter of their worst case; near the limit their write-back returns the rest.
    const settled = held.map((r) => r.settle(worst / 4, 1));
    await new Promise((r) => setTimeout(r, 20)); // the write-back is cut and waits at the gate
    expect(store.committed).toBe(3 * worst);
    const fourth = limits.reserve(caller as never, 'r3', worst, 1);
    setTimeout(open, 20);
    await expect(fourth).resolves.toBeDefined();
    await Promise.all(settled);
    expect(store.committed).toBeLessThanOrEqual(3.5 * worst);
  });
});
