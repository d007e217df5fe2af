/**
 * Budgets and rate limits through leases (leases.ts): the `LimitsPort` the request pipelines use.
 * A request is granted from this instance's slices of its counters — the account's and the key's
 * rate windows and budget periods — with no store call while the slices cover its worst case; the
 * counters that need a refill are refilled in parallel, so what precedes the upstream call is at
 * most one store round trip of its own. Settles are local and written back in batches after the
 * response (lease-flush.ts).
 */
import { randomBytes } from 'node:crypto';
import type { Caller } from '../domain/caller';
import { BudgetExceeded, RateLimited, type RateLimitState } from '../domain/errors';
import { nanoToUsd } from '../domain/money';
import type { BudgetStatus, LeaseAmounts, LeaseCounter, LeaseStore, LimitsPort, Reservation } from '../domain/ports';
import { AccountFlush } from './lease-flush';
import { LeaseRefused } from './lease-policy';
import { CounterLease } from './leases';

export interface LeasedLimitsDeps {
  store: LeaseStore;
  /** Budget status for GET /v1/key (read from the store as it is). */
  status(caller: Caller): Promise<BudgetStatus[]>;
  now?: () => Date;
  /** This instance's name in the leases it holds; default random per process. */
  holder?: string;
  /** How long a budget write-back waits for more settles to share it (`meteringLingerMs`, metering.ts). */
  lingerMs?: number;
}

/** How long `releaseAll` waits for the store before leaving the rest to lease expiry. */
export const RELEASE_ALL_WAIT_MS = 5_000;

const keyOf = (c: LeaseCounter) => `${c.key.pk}|${c.key.sk}`;

/** The reservation of a request whose key and account have no limits. */
const UNLIMITED: Reservation = Object.freeze({ rateLimit: Object.freeze({}), ticket: undefined, settle: async () => undefined });

export class LeasedLimits implements LimitsPort {
  private readonly leases = new Map<string, CounterLease>();
  private readonly accounts = new Map<string, AccountFlush>();
  private readonly now: () => Date;
  private prunedAt = 0;
  /** Numbers this holder's takes and fences (lease-repo.ts): increasing for as long as the holder lives. */
  private ops = 0;
  readonly holder: string;

  constructor(private readonly deps: LeasedLimitsDeps) {
    this.now = deps.now ?? (() => new Date());
    this.holder = deps.holder ?? `i-${randomBytes(6).toString('hex')}`;
  }

  private nowSec = () => Math.floor(this.now().getTime() / 1000);

  private flusher(accountId: string): AccountFlush {
    let f = this.accounts.get(accountId);
    if (!f) {
      f = new AccountFlush(accountId, this.deps.store, this.holder, this.nowSec, this.deps.lingerMs);
      this.accounts.set(accountId, f);
    }
    return f;
  }

  private lease(counter: LeaseCounter, accountId: string): CounterLease {
    const id = keyOf(counter);
    let l = this.leases.get(id);
    if (!l) {
      const flush = counter.kind === 'budget' ? this.flusher(accountId) : undefined;
      l = new CounterLease(counter, {
        store: this.deps.store,
        holder: this.holder,
        nowSec: this.nowSec,
        writing: () => !!flush?.writing(),
        written: () => flush?.written() ?? Promise.resolve(),
        changed: () => flush?.changed(),
        nextOp: () => ++this.ops,
      });
      flush?.leases.add(l);
      this.leases.set(id, l);
    }
    // Limits come from the caller (cached at most KEY_CACHE_TTL_MS); limits the store answered with win while newer.
    l.refresh(counter);
    return l;
  }

  /** Forgets rate windows whose minute is over and budget leases of ended periods with nothing left to write. */
  private prune(now: Date): void {
    for (const [id, l] of this.leases) {
      if (l.resetPassed(now) && (l.counter.kind === 'rate' || (l.held === 0 && l.spent === 0 && l.granted === 0))) {
        this.leases.delete(id);
        for (const f of this.accounts.values()) f.leases.delete(l);
      }
    }
  }

  async reserve(caller: Caller, _requestId: string, maxCostNano: number, maxTokens: number): Promise<Reservation> {
    const now = this.now();
    if (now.getTime() - this.prunedAt > 60_000) {
      this.prunedAt = now.getTime();
      this.prune(now);
    }
    const { budgets, windows } = this.deps.store.counters(caller, now);
    // Nothing to hold (a key and account without limits): no leases, nothing to settle.
    if (budgets.length === 0 && windows.length === 0) return UNLIMITED;
    const resetSeconds = (c: LeaseCounter) => Math.max(1, Math.ceil((c.resetAt.getTime() - now.getTime()) / 1000));
    for (const w of windows)
      if (w.limits.tokens !== undefined && maxTokens > w.limits.tokens)
        throw new RateLimited(
          `Request too large: it may use up to ${maxTokens} tokens, above the ${w.who === 'account' ? 'account' : 'key'} limit of ${w.limits.tokens} tokens per minute. Lower max_tokens.`,
          'tokens_per_minute',
          resetSeconds(w),
        );
    const asks: Array<{ lease: CounterLease; need: LeaseAmounts }> = [
      ...windows.map((w) => ({ lease: this.lease(w, caller.accountId), need: { requests: 1, tokens: maxTokens } })),
      ...budgets.map((b) => ({ lease: this.lease(b, caller.accountId), need: { committed: maxCostNano } })),
    ];
    const outcomes = await Promise.allSettled(asks.map((a) => a.lease.acquire(a.need)));
    const failed = outcomes.findIndex((o) => o.status === 'rejected');
    if (failed >= 0) {
      outcomes.forEach((o, i) => {
        if (o.status === 'fulfilled') asks[i]!.lease.release(asks[i]!.need);
      });
      const reason = (outcomes[failed] as PromiseRejectedResult).reason;
      if (!(reason instanceof LeaseRefused)) throw reason;
      throw this.refusal(reason, maxCostNano, resetSeconds(reason.counter), this.rateState(asks, resetSeconds));
    }
    const rateLimit = this.rateState(asks, resetSeconds);
    return this.reservation(caller.accountId, asks, maxCostNano, maxTokens, rateLimit);
  }

  private reservation(
    accountId: string,
    asks: Array<{ lease: CounterLease; need: LeaseAmounts }>,
    maxCostNano: number,
    maxTokens: number,
    rateLimit: RateLimitState,
  ): Reservation {
    const budgetLeases = asks.filter((a) => a.lease.counter.kind === 'budget').map((a) => a.lease);
    const flush = budgetLeases.length ? this.flusher(accountId) : undefined;
    let seq: number | undefined;
    return {
      rateLimit,
      ...(flush ? { reservedNanoUsd: maxCostNano } : {}),
      // The write-back this request's spend is in, while it is unwritten (read by metering for the outbox).
      get ticket() {
        return flush && seq !== undefined ? flush.ticket(seq) : undefined;
      },
      // Local at once; then waits for the batched write-back (after the response). Safe to call again.
      settle: async (actualCostNano, tokens) => {
        if (seq === undefined) {
          for (const a of asks) if (a.lease.counter.kind === 'rate') a.lease.settleTokens(maxTokens, tokens);
          for (const l of budgetLeases) l.settle(maxCostNano, actualCostNano);
          seq = flush?.seq ?? 0;
        }
        await flush?.flush();
      },
    };
  }

  /** The tightest window of each unit across the key and the account, as this instance sees it. */
  private rateState(asks: Array<{ lease: CounterLease }>, resetSeconds: (c: LeaseCounter) => number): RateLimitState {
    const state: RateLimitState = {};
    for (const { lease } of asks) {
      const c = lease.counter;
      if (c.kind !== 'rate') continue;
      for (const unit of ['requests', 'tokens'] as const) {
        const limit = c.limits[unit];
        if (limit === undefined) continue;
        const remaining = Math.max(0, Math.min(limit, lease.room(unit) + Math.max(0, lease.free[unit] ?? 0)));
        if (state[unit]?.remaining === undefined || remaining < state[unit].remaining)
          state[unit] = { limit, remaining, resetSeconds: resetSeconds(c) };
      }
    }
    return state;
  }

  private refusal(r: LeaseRefused, maxCostNano: number, retryAfter: number, state: RateLimitState): Error {
    const c = r.counter;
    if (c.kind === 'budget')
      return new BudgetExceeded(
        `The ${c.label} ($${nanoToUsd(c.limits.committed!)}) does not cover this request's maximum cost ($${nanoToUsd(maxCostNano)}). Lower max_tokens, or wait for the budget to reset.`,
        retryAfter,
        state,
      );
    const { requests: rpm, tokens: tpm } = c.limits;
    return new RateLimited(
      `Rate limit reached for this ${c.who}: ${rpm !== undefined ? `${rpm} requests` : ''}${rpm !== undefined && tpm !== undefined ? ' / ' : ''}${tpm !== undefined ? `${tpm} tokens` : ''} per minute. Retry after ${retryAfter} s.`,
      'rate_limit_exceeded',
      retryAfter,
      {
        ...(rpm !== undefined ? { requests: { limit: rpm, remaining: 0, resetSeconds: retryAfter } } : {}),
        ...(tpm !== undefined ? { tokens: { limit: tpm, resetSeconds: retryAfter } } : {}),
      },
    );
  }

  budgetStatus(caller: Caller): Promise<BudgetStatus[]> {
    return this.deps.status(caller);
  }

  /** Writes every pending settle and returns every unused lease (tests; an instance about to stop). */
  async returnAll(): Promise<void> {
    await Promise.all([...this.accounts.values()].map((f) => f.returnAll()));
  }

  /**
   * Releases every slice this instance holds: pending settles written, unused leases returned, a
   * lost take learned of and returned. The close path of a stopping instance calls it; it waits at
   * most `waitMs` (each store call is bounded too) and never throws — what it could not return
   * expires with the lease (LEASE_TTL_SECONDS).
   */
  async releaseAll(waitMs = RELEASE_ALL_WAIT_MS): Promise<void> {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      this.returnAll().catch(() => undefined),
      new Promise<void>((r) => {
        timer = setTimeout(r, waitMs);
        timer.unref();
      }),
    ]);
    clearTimeout(timer);
  }

  /** Store writes made by write-backs so far (for the per-request counts). */
  flushWrites(): number {
    return [...this.accounts.values()].reduce((n, f) => n + f.writes, 0);
  }
}
