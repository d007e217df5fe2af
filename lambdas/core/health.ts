/**
 * Offer health learned from real outcomes: per-offer error rate, timeouts, time to first token and
 * output speed over a sliding window shared by every instance of a region (through a `HealthStore`),
 * and a circuit breaker per offer.
 *
 * - An offer that keeps failing (3 failures in a row here, or half its attempts across the region
 *   with enough samples) is *open*: moved to the back of every route for a cool-down that doubles
 *   each time it opens again (5 s, 10 s, … up to 5 min). After the cool-down a small share of
 *   requests probe it in its normal place (*half-open*); a success closes it, a failure reopens it.
 * - An upstream 429 with `Retry-After` *benches* the offer for that long (at most an hour): it is
 *   left out of routes until then.
 * - Measured time to first token and output tokens per second replace the configured typical
 *   values once an offer has enough successful samples.
 *
 * Nothing here waits on the store in a request's path: `sync` flushes the instance's counts and
 * refreshes the regional window in the background, bounded and never throwing; routes are arranged
 * from memory.
 */
import type { HealthBucket, HealthStore } from '../domain/ports';
import type { Logger } from './log';

/** What one call to an offer came to. */
export interface OfferOutcome {
  offerId: string;
  ok: boolean;
  /** Why it failed: no answer in time, an error, or the upstream's rate limit. */
  failure?: 'timeout' | 'error' | 'rate_limited';
  /** The upstream's `Retry-After` (seconds), when it sent one. */
  retryAfterSeconds?: number;
  ttftMs?: number;
  outputTokens?: number;
  /** Milliseconds from the first byte to the end of the answer. */
  generationMs?: number;
}

export type HealthState = 'ok' | 'degraded' | 'benched';

/** An offer's health as GET /v1/models shows it. */
export interface OfferHealthView {
  state: HealthState;
  /** `closed`, `open` or `half_open`. */
  breaker: 'closed' | 'open' | 'half_open';
  attempts: number;
  errorRate: number;
  timeouts: number;
  ttftMs?: number;
  tokensPerSecond?: number;
  /** Seconds until the offer is tried again (open breaker or a provider's Retry-After). */
  retryInSeconds?: number;
}

export interface HealthPolicy {
  /** The sliding window, in minutes. */
  windowMinutes: number;
  /** Samples needed before the regional error rate or measured speeds are trusted. */
  minSamples: number;
  /** Regional error rate at or above which a closed breaker opens. */
  openErrorRate: number;
  /** Failures in a row, seen by this instance, that open a breaker. */
  consecutiveFailures: number;
  baseCooldownMs: number;
  maxCooldownMs: number;
  /** Share of requests that probe a half-open offer in its normal place. */
  probeShare: number;
  /** Longest bench a provider's Retry-After can impose. */
  maxBenchSeconds: number;
  /** How often the regional window is read, and pending counts written. */
  syncMs: number;
}

export const DEFAULT_HEALTH_POLICY: HealthPolicy = {
  windowMinutes: 5,
  minSamples: 5,
  openErrorRate: 0.5,
  consecutiveFailures: 3,
  baseCooldownMs: 5_000,
  maxCooldownMs: 300_000,
  probeShare: 0.1,
  maxBenchSeconds: 3_600,
  syncMs: 10_000,
};

const emptyBucket = (): HealthBucket => ({
  attempts: 0,
  failures: 0,
  timeouts: 0,
  ttftMsSum: 0,
  ttftCount: 0,
  outputTokens: 0,
  generationMs: 0,
});

function getOrSet<K, V>(map: Map<K, V>, key: K, make: () => V): V {
  let value = map.get(key);
  if (value === undefined) {
    value = make();
    map.set(key, value);
  }
  return value;
}

function addInto(into: HealthBucket, b: HealthBucket): void {
  into.attempts += b.attempts;
  into.failures += b.failures;
  into.timeouts += b.timeouts;
  into.ttftMsSum += b.ttftMsSum;
  into.ttftCount += b.ttftCount;
  into.outputTokens += b.outputTokens;
  into.generationMs += b.generationMs;
}

interface Breaker {
  consecutive: number;
  /** Times opened since it was last closed (drives the growing cool-down). */
  opens: number;
  openUntil: number;
  benchedUntil: number;
  /** When it last closed: regional failures from before it do not reopen it. */
  closedAt: number;
}

export interface HealthOptions {
  /** The region whose instances share this health (the partition in the store). */
  region: string;
  store?: HealthStore;
  now?: () => number;
  random?: () => number;
  policy?: Partial<HealthPolicy>;
  log?: Logger;
  /** Told when an offer's breaker opens (true) or closes again (false): the breaker-state metric. */
  onBreaker?: (offerId: string, open: boolean) => void;
}

/** One region's view of its offers' health, held by each function instance. */
export class HealthMonitor {
  readonly policy: HealthPolicy;
  private readonly breakers = new Map<string, Breaker>();
  /** Counts not yet written, by minute and offer. */
  private pending = new Map<number, Map<string, HealthBucket>>();
  /** The regional window as last read, by offer and minute (pending counts are added on top). */
  private regional = new Map<string, Map<number, HealthBucket>>();
  private lastSync = 0;
  private syncing: Promise<void> | undefined;
  private readonly now: () => number;
  private readonly random: () => number;

  constructor(private readonly options: HealthOptions) {
    this.policy = { ...DEFAULT_HEALTH_POLICY, ...options.policy };
    this.now = options.now ?? Date.now;
    this.random = options.random ?? Math.random;
  }

  private breaker(offerId: string): Breaker {
    return getOrSet(this.breakers, offerId, () => ({ consecutive: 0, opens: 0, openUntil: 0, benchedUntil: 0, closedAt: 0 }));
  }

  private cooldown(opens: number): number {
    return Math.min(this.policy.maxCooldownMs, this.policy.baseCooldownMs * 2 ** Math.max(0, opens - 1));
  }

  private open(offerId: string, b: Breaker, now: number): void {
    b.opens++;
    b.openUntil = now + this.cooldown(b.opens);
    this.options.onBreaker?.(offerId, true);
  }

  /** The window's totals for one offer (regional reads plus this instance's pending counts), optionally only from a minute on. */
  totals(offerId: string, fromMinute = Math.floor(this.now() / 60_000) - this.policy.windowMinutes + 1): HealthBucket {
    const total = emptyBucket();
    for (const [minute, b] of this.regional.get(offerId) ?? []) if (minute >= fromMinute) addInto(total, b);
    for (const [minute, byOffer] of this.pending) {
      const b = byOffer.get(offerId);
      if (b && minute >= fromMinute) addInto(total, b);
    }
    return total;
  }

  /** Records one call's outcome: updates the breaker at once and the counts to share. */
  record(o: OfferOutcome): void {
    const now = this.now();
    const minute = Math.floor(now / 60_000);
    // Counts older than the window no longer matter (they were written, or there is no store).
    for (const m of this.pending.keys()) if (m < minute - this.policy.windowMinutes) this.pending.delete(m);
    const bucket = getOrSet(
      getOrSet(this.pending, minute, () => new Map<string, HealthBucket>()),
      o.offerId,
      emptyBucket,
    );
    bucket.attempts++;
    const b = this.breaker(o.offerId);
    if (o.ok) {
      if (o.ttftMs !== undefined && Number.isFinite(o.ttftMs) && o.ttftMs >= 0) {
        bucket.ttftMsSum += Math.round(o.ttftMs);
        bucket.ttftCount++;
      }
      if (o.outputTokens && o.generationMs && o.outputTokens > 0 && o.generationMs > 0) {
        bucket.outputTokens += Math.round(o.outputTokens);
        bucket.generationMs += Math.round(o.generationMs);
      }
      if (b.openUntil) this.options.onBreaker?.(o.offerId, false);
      if (b.openUntil || b.consecutive) b.closedAt = now;
      b.consecutive = 0;
      b.opens = 0;
      b.openUntil = 0;
      return;
    }
    bucket.failures++;
    if (o.failure === 'timeout') bucket.timeouts++;
    if (o.failure === 'rate_limited' && o.retryAfterSeconds !== undefined && o.retryAfterSeconds > 0) {
      b.benchedUntil = Math.max(b.benchedUntil, now + Math.min(o.retryAfterSeconds, this.policy.maxBenchSeconds) * 1000);
    }
    b.consecutive++;
    const halfOpen = b.openUntil !== 0 && now >= b.openUntil;
    if (halfOpen || (b.openUntil === 0 && b.consecutive >= this.policy.consecutiveFailures)) this.open(o.offerId, b, now);
  }

  /** Opens a closed breaker whose offer fails across the region (failures since it last closed). */
  private checkRegional(offerId: string, b: Breaker, now: number): void {
    if (b.openUntil !== 0) return;
    const t = this.totals(
      offerId,
      Math.max(Math.floor(b.closedAt / 60_000) + (b.closedAt ? 1 : 0), Math.floor(now / 60_000) - this.policy.windowMinutes + 1),
    );
    if (t.attempts >= this.policy.minSamples && t.failures / t.attempts >= this.policy.openErrorRate) this.open(offerId, b, now);
  }

  /** Seconds until an offer is tried again, if it is benched or open. */
  private waitSeconds(b: Breaker, now: number): number | undefined {
    const until = Math.max(b.benchedUntil, b.openUntil);
    return until > now ? Math.ceil((until - now) / 1000) : undefined;
  }

  /**
   * Orders a route by health, keeping the given order within each group: offers that are closed
   * or selected to probe, then open ones (a last resort); offers benched by a provider's
   * Retry-After are left out and reported with the seconds they still have to wait.
   */
  arrange<T extends { offer: { id: string } }>(
    route: readonly T[],
  ): { ordered: T[]; benched: Array<{ candidate: T; retryAfterSeconds: number }> } {
    const now = this.now();
    const healthy: T[] = [];
    const open: T[] = [];
    const benched: Array<{ candidate: T; retryAfterSeconds: number }> = [];
    for (const c of route) {
      const b = this.breaker(c.offer.id);
      this.checkRegional(c.offer.id, b, now);
      if (b.benchedUntil > now) benched.push({ candidate: c, retryAfterSeconds: Math.ceil((b.benchedUntil - now) / 1000) });
      else if (b.openUntil > now) open.push(c);
      else if (b.openUntil !== 0 && this.random() >= this.policy.probeShare) open.push(c);
      else healthy.push(c);
    }
    return { ordered: [...healthy, ...open], benched };
  }

  /** The soonest any of these offers will be tried again, in seconds (for Retry-After). */
  retryAfterSeconds(offerIds: readonly string[]): number | undefined {
    const now = this.now();
    const waits = offerIds.map((id) => this.waitSeconds(this.breaker(id), now)).filter((s): s is number => s !== undefined);
    return waits.length ? Math.min(...waits) : undefined;
  }

  /** Measured time to first token and output speed, once there are enough samples. */
  measured(offerId: string): { ttftMs?: number; tokensPerSecond?: number } {
    const t = this.totals(offerId);
    const out: { ttftMs?: number; tokensPerSecond?: number } = {};
    if (t.ttftCount >= this.policy.minSamples) out.ttftMs = Math.round(t.ttftMsSum / t.ttftCount);
    if (t.generationMs > 0 && t.ttftCount >= this.policy.minSamples)
      out.tokensPerSecond = Math.round((t.outputTokens * 1000) / t.generationMs);
    return out;
  }

  /** The window's error rate of an offer (0 without attempts). */
  errorRate(offerId: string): number {
    const t = this.totals(offerId);
    return t.attempts ? t.failures / t.attempts : 0;
  }

  /** An offer's health for GET /v1/models. */
  view(offerId: string): OfferHealthView {
    const now = this.now();
    const b = this.breaker(offerId);
    this.checkRegional(offerId, b, now);
    const t = this.totals(offerId);
    const errorRate = t.attempts ? Math.round((t.failures / t.attempts) * 1000) / 1000 : 0;
    const breaker = b.openUntil === 0 ? 'closed' : b.openUntil > now ? 'open' : 'half_open';
    const wait = this.waitSeconds(b, now);
    const state: HealthState =
      b.benchedUntil > now || breaker === 'open'
        ? 'benched'
        : breaker === 'half_open' || (t.attempts >= this.policy.minSamples && errorRate > 0.1)
          ? 'degraded'
          : 'ok';
    return {
      state,
      breaker,
      attempts: t.attempts,
      errorRate,
      timeouts: t.timeouts,
      ...this.measured(offerId),
      ...(wait !== undefined ? { retryInSeconds: wait } : {}),
    };
  }

  /**
   * Writes pending counts and re-reads the regional window when `syncMs` has passed (or when
   * forced). Never throws and never runs twice at once; callers do not wait for it on a request's path.
   */
  sync(force = false): Promise<void> {
    const store = this.options.store;
    if (!store || this.syncing || (!force && this.now() - this.lastSync < this.policy.syncMs)) return this.syncing ?? Promise.resolve();
    this.lastSync = this.now();
    const pending = this.pending;
    this.pending = new Map();
    this.syncing = (async () => {
      try {
        for (const [minute, byOffer] of pending) await store.add(this.options.region, minute, byOffer);
        const fromMinute = Math.floor(this.now() / 60_000) - this.policy.windowMinutes + 1;
        const regional = new Map<string, Map<number, HealthBucket>>();
        for (const row of await store.window(this.options.region, fromMinute)) {
          getOrSet(regional, row.offerId, () => new Map<number, HealthBucket>()).set(row.minute, row.bucket);
        }
        this.regional = regional;
      } catch (err) {
        // Health is advisory: keep routing on what this instance knows, and try again next time.
        for (const [minute, byOffer] of pending) {
          const into = this.pending.get(minute) ?? new Map<string, HealthBucket>();
          for (const [id, b] of byOffer) {
            const cur = into.get(id) ?? emptyBucket();
            addInto(cur, b);
            into.set(id, cur);
          }
          this.pending.set(minute, into);
        }
        this.options.log?.log('warn', 'health sync failed', { errorName: (err as Error)?.name });
      } finally {
        this.syncing = undefined;
      }
    })();
    return this.syncing;
  }
}
