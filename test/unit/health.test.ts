/** The circuit breaker and the measured figures of `HealthMonitor`, on an injected clock. */
import { describe, expect, it } from 'vitest';
import { HealthMonitor } from '../../lambdas/core/health';
import type { HealthBucket, HealthStore } from '../../lambdas/domain/ports';

const route = ['a/cheap', 'b/mid', 'c/dear'].map((id) => ({ offer: { id } }));
const ids = (r: Array<{ offer: { id: string } }>) => r.map((c) => c.offer.id);

function monitor(over: { random?: () => number; store?: HealthStore } = {}) {
  let now = 1_800_000_000_000;
  const h = new HealthMonitor({ region: 'test', now: () => now, random: over.random ?? (() => 0.99), store: over.store });
  return { h, advance: (ms: number) => (now += ms), now: () => now };
}

describe('circuit breaker', () => {
  it('keeps the route order while offers are healthy', () => {
    const { h } = monitor();
    h.record({ offerId: 'a/cheap', ok: true, ttftMs: 100 });
    expect(ids(h.arrange(route).ordered)).toEqual(['a/cheap', 'b/mid', 'c/dear']);
  });

  it('opens after 3 failures in a row: the offer moves to the back for the cool-down', () => {
    const { h, advance } = monitor();
    h.record({ offerId: 'a/cheap', ok: false, failure: 'error' });
    h.record({ offerId: 'a/cheap', ok: false, failure: 'timeout' });
    expect(ids(h.arrange(route).ordered)[0]).toBe('a/cheap');
    h.record({ offerId: 'a/cheap', ok: false, failure: 'error' });
    expect(ids(h.arrange(route).ordered)).toEqual(['b/mid', 'c/dear', 'a/cheap']);
    expect(h.view('a/cheap')).toMatchObject({
      state: 'benched',
      breaker: 'open',
      attempts: 3,
      errorRate: 1,
      timeouts: 1,
      retryInSeconds: 5,
    });
    advance(4_999);
    expect(ids(h.arrange(route).ordered)[0]).toBe('b/mid');
  });

  it('half-open after the cool-down: a share of requests probe it; a failed probe doubles the cool-down, a success closes it', () => {
    let roll = 0.5;
    const { h, advance } = monitor({ random: () => roll });
    for (let i = 0; i < 3; i++) h.record({ offerId: 'a/cheap', ok: false, failure: 'error' });
    advance(5_000);
    expect(h.view('a/cheap').breaker).toBe('half_open');
    expect(ids(h.arrange(route).ordered)[0]).toBe('b/mid'); // not selected to probe (0.5 ≥ 10 %)
    roll = 0.05;
    expect(ids(h.arrange(route).ordered)[0]).toBe('a/cheap'); // probes in its normal place
    h.record({ offerId: 'a/cheap', ok: false, failure: 'error' });
    expect(h.view('a/cheap')).toMatchObject({ breaker: 'open', retryInSeconds: 10 });
    advance(10_000);
    h.record({ offerId: 'a/cheap', ok: true, ttftMs: 50 });
    expect(h.view('a/cheap').breaker).toBe('closed');
    roll = 0.99;
    expect(ids(h.arrange(route).ordered)[0]).toBe('a/cheap');
  });

  it('the cool-down grows while the offer keeps failing, up to 5 minutes', () => {
    const { h, advance } = monitor({ random: () => 0 });
    for (let i = 0; i < 3; i++) h.record({ offerId: 'a/cheap', ok: false, failure: 'error' });
    const waits: number[] = [];
    for (let i = 0; i < 9; i++) {
      const wait = h.view('a/cheap').retryInSeconds!;
      waits.push(wait);
      advance(wait * 1000);
      h.record({ offerId: 'a/cheap', ok: false, failure: 'error' });
    }
    expect(waits).toEqual([5, 10, 20, 40, 80, 160, 300, 300, 300]);
  });

  it('benches an offer for its Retry-After and leaves it out of routes until then', () => {
    const { h, advance } = monitor();
    h.record({ offerId: 'b/mid', ok: false, failure: 'rate_limited', retryAfterSeconds: 30 });
    const { ordered, benched } = h.arrange(route);
    expect(ids(ordered)).toEqual(['a/cheap', 'c/dear']);
    expect(benched).toEqual([{ candidate: route[1], retryAfterSeconds: 30 }]);
    expect(h.retryAfterSeconds(['b/mid'])).toBe(30);
    advance(30_000);
    expect(ids(h.arrange(route).ordered)).toEqual(['a/cheap', 'b/mid', 'c/dear']);
  });

  it('caps a Retry-After at an hour', () => {
    const { h } = monitor();
    h.record({ offerId: 'b/mid', ok: false, failure: 'rate_limited', retryAfterSeconds: 10 ** 9 });
    expect(h.retryAfterSeconds(['b/mid'])).toBe(3_600);
  });
});

describe('regional window', () => {
  it('opens a breaker from the counts other instances wrote, and measures speed once there are enough samples', async () => {
    const rows: Array<{ offerId: string; minute: number; bucket: HealthBucket }> = [];
    const store: HealthStore = {
      add: async (_region, minute, buckets) => {
        for (const [offerId, bucket] of buckets) rows.push({ offerId, minute, bucket: { ...bucket } });
      },
      window: async (_region, from) => rows.filter((r) => r.minute >= from),
    };
    const other = monitor({ store });
    for (let i = 0; i < 6; i++)
      other.h.record({ offerId: 'a/cheap', ok: i % 3 === 0, failure: 'error', ttftMs: 200, outputTokens: 100, generationMs: 1000 });
    for (let i = 0; i < 5; i++) other.h.record({ offerId: 'b/mid', ok: true, ttftMs: 120, outputTokens: 300, generationMs: 1000 });
    await other.h.sync(true);

    const { h } = monitor({ store });
    expect(ids(h.arrange(route).ordered)[0]).toBe('a/cheap'); // knows nothing yet
    await h.sync(true);
    expect(ids(h.arrange(route).ordered)).toEqual(['b/mid', 'c/dear', 'a/cheap']);
    expect(h.view('a/cheap')).toMatchObject({ breaker: 'open', attempts: 6, errorRate: 0.667 });
    expect(h.measured('b/mid')).toEqual({ ttftMs: 120, tokensPerSecond: 300 });
    expect(h.measured('c/dear')).toEqual({});
  });

  it('keeps counting when the store fails, and writes them next time', async () => {
    let fail = true;
    const added: number[] = [];
    const store: HealthStore = {
      add: async (_r, _m, buckets) => {
        if (fail) throw Object.assign(new Error('down'), { name: 'TimeoutError' });
        for (const b of buckets.values()) added.push(b.attempts);
      },
      window: async () => [],
    };
    const { h } = monitor({ store });
    h.record({ offerId: 'a/cheap', ok: true });
    await h.sync(true);
    expect(h.totals('a/cheap').attempts).toBe(1);
    fail = false;
    h.record({ offerId: 'a/cheap', ok: true });
    await h.sync(true);
    expect(added).toEqual([2]);
  });
});
