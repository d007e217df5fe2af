/**
 * In-process accounting of one lease: the slice of one counter (a budget period, or a rate window)
 * that this instance took from the store and spends locally. A request whose worst case the slice
 * covers is granted with no store call; otherwise it waits for a refill — one conditional write
 * shared by every request waiting at that moment (single flight), sized for all of them plus a
 * slice that shrinks with the remaining room, down to exactly the waiting requests' worst cases
 * near the limit. The store's condition (`used + slice ≤ limit`) is what makes overspending
 * impossible; this class only decides how much to ask for and who may use it.
 */
import type { LeaseAmounts, LeaseCounter, LeaseDim, TakeAnswer } from '../domain/ports';
import {
  BUDGET_SLICE_FRACTION,
  dimsOf,
  LEASE_MIN_LEFT_SECONDS,
  LEASE_TTL_SECONDS,
  type LeaseEnv,
  LeaseRefused,
  LOST_TAKE_PROBE_MS,
  MAX_REFILL_ROUNDS,
  NEAR_LIMIT_REQUESTS,
  RATE_SLICE_FRACTION,
  SLICE_MAX_REQUESTS,
} from './lease-policy';

interface Waiter {
  short: LeaseAmounts;
  resolve(): void;
  reject(err: unknown): void;
}

export class CounterLease {
  /** Leased and not granted (may go negative when a request settled above its worst case). */
  readonly free: LeaseAmounts = {};
  /** Granted to requests in flight (budgets). */
  granted = 0;
  /** Settled spend and requests not yet written back (budgets). */
  spent = 0;
  requests = 0;
  /** This holder's lease in the store once every cut batch is written (budgets). */
  held = 0;
  /** Epoch seconds the store lease is renewed until (budgets). */
  until = 0;
  /** The counter's values the store last reported (0 assumed before the first answer). */
  used: LeaseAmounts = {};
  /** The largest worst case asked of this lease (sizes slices and the near-limit rule). */
  readonly maxNeed: LeaseAmounts = {};
  lastUse = 0;
  private queue: Waiter[] = [];
  private draining = false;
  /** Takes of this lease run one at a time (so a lost one is the last one sent). */
  private takes: Promise<unknown> = Promise.resolve();
  /** A take whose answer was lost: it may have landed, or land later. It is fenced off and learned of before the next take. */
  private lost: { op: number; size: number } | undefined;
  private probing: NodeJS.Timeout | undefined;

  constructor(
    public counter: LeaseCounter,
    private readonly env: LeaseEnv,
  ) {}

  /** The room left in the store (limit − used) of a dimension, as last reported. */
  room(d: LeaseDim): number {
    return this.counter.limits[d]! - (this.used[d] ?? 0);
  }

  /** True once the counter's period or minute is over. */
  resetPassed(now: Date): boolean {
    return this.counter.resetAt.getTime() <= now.getTime();
  }

  /** True when the remaining room is under a few worst cases: slices are per request, unused lease goes back. */
  near(): boolean {
    return dimsOf(this.counter).some((d) => this.room(d) < NEAR_LIMIT_REQUESTS * (this.maxNeed[d] ?? 0));
  }

  /**
   * Holds `need` for one request: at once from the slice when it covers it (no store call), else
   * after a refill. Rejects with `LeaseRefused` when the store cannot cover it.
   */
  acquire(need: LeaseAmounts): Promise<void> {
    const dims = dimsOf(this.counter);
    this.lastUse = this.env.nowSec();
    for (const d of dims) this.maxNeed[d] = Math.max(this.maxNeed[d] ?? 0, need[d] ?? 0);
    const usable = this.counter.kind === 'rate' || this.until - this.env.nowSec() >= LEASE_MIN_LEFT_SECONDS;
    if (usable && !this.queue.length && dims.every((d) => (this.free[d] ?? 0) >= (need[d] ?? 0))) {
      this.hold(need, 1);
      return Promise.resolve();
    }
    // Take what the slice has, wait for the rest.
    const part: LeaseAmounts = {};
    const short: LeaseAmounts = {};
    for (const d of dims) {
      part[d] = usable ? Math.max(0, Math.min(this.free[d] ?? 0, need[d] ?? 0)) : 0;
      short[d] = (need[d] ?? 0) - part[d]!;
    }
    this.hold(part, 1);
    return new Promise<void>((resolve, reject) => {
      this.queue.push({
        short,
        resolve,
        reject: (err) => {
          this.hold(part, -1);
          // What it had taken from the slice goes back, within a lowered limit's cap.
          this.cap();
          reject(err);
        },
      });
      void this.drain();
    });
  }

  /** Gives a grant back unused (a request refused by another counter, or never sent). */
  release(need: LeaseAmounts): void {
    this.hold(need, -1);
  }

  /** Moves `amounts` from the slice to the requests in flight (`sign` 1), or back (−1). */
  private hold(amounts: LeaseAmounts, sign: 1 | -1): void {
    for (const d of dimsOf(this.counter)) this.free[d] = (this.free[d] ?? 0) - sign * (amounts[d] ?? 0);
    if (this.counter.kind === 'budget') this.granted += sign * (amounts.committed ?? 0);
  }

  /** A budget request settled: its worst case leaves the grants, its actual cost waits for the write-back. */
  settle(worst: number, actual: number): void {
    this.granted -= worst;
    this.spent += actual;
    this.requests++;
    this.free.committed = (this.free.committed ?? 0) + worst - actual;
  }

  /** A rate-window request settled: tokens it did not use go back to the slice (this instance's, for this minute). */
  settleTokens(reserved: number, used: number): void {
    if (this.counter.limits.tokens !== undefined) this.free.tokens = (this.free.tokens ?? 0) + reserved - used;
  }

  /** The slice to ask for: the waiters' needs, or a share of the room (at most a few worst cases) if larger. */
  private sliceFor(demand: LeaseAmounts): LeaseAmounts {
    const fraction = this.counter.kind === 'budget' ? BUDGET_SLICE_FRACTION : RATE_SLICE_FRACTION;
    const size: LeaseAmounts = {};
    for (const d of dimsOf(this.counter)) {
      const room = this.room(d);
      const target = Math.min(Math.floor(room * fraction), SLICE_MAX_REQUESTS * (this.maxNeed[d] ?? 0), room);
      size[d] = Math.max(demand[d] ?? 0, target);
    }
    return size;
  }

  /** One take at a time (see `takes`); a take refused on stale limits is asked again with the store's. */
  private take(size: LeaseAmounts): Promise<TakeAnswer> {
    const run = this.takes.then(() => this.takeOnce(size));
    this.takes = run.catch(() => undefined);
    return run;
  }

  private async takeOnce(size: LeaseAmounts): Promise<TakeAnswer> {
    let ans = await this.send(size);
    // The item carries newer limits than the caller's cache: learned, and asked again against them.
    if (ans.stale) ans = await this.send(size);
    // Refused while dead instances' leases expired in the item: release them and try once more.
    if (!ans.taken && ans.expired.length && (await this.env.store.releaseExpired(this.counter, ans.expired)) > 0)
      ans = await this.send(size);
    else if (ans.taken && ans.expired.length) {
      // Taken, with expired leases of others in the item: any instance's refill releases them, off the request's path.
      void this.env.store.releaseExpired(this.counter, ans.expired).catch(() => undefined);
    }
    return ans;
  }

  /** One store take: learns the item's limits, the outcome of a take whose answer was lost, and this holder's lease. */
  private async send(size: LeaseAmounts): Promise<TakeAnswer> {
    const until = this.env.nowSec() + LEASE_TTL_SECONDS;
    const budget = this.counter.kind === 'budget';
    const op = budget ? this.env.nextOp() : undefined;
    let ans: TakeAnswer;
    try {
      ans = await this.env.store.take(this.counter, this.env.holder, size, until, op);
    } catch (err) {
      // No answer: the write may have landed. Until a later answer says, the lease does not know what it holds.
      if (op !== undefined) {
        this.lost = { op, size: size.committed ?? 0 };
        this.probeLater();
      }
      throw err;
    }
    if (ans.stored && ans.stored.at > this.counter.limitsAt)
      this.counter = { ...this.counter, limits: { ...this.counter.limits, ...ans.stored.limits }, limitsAt: ans.stored.at };
    this.used = ans.used;
    if (budget) {
      if (ans.taken) {
        this.until = until;
        this.held += size.committed ?? 0;
      }
      // Someone released this holder's lease (it outlived its expiry): trust the store's figure.
      if (ans.held !== undefined && ans.held !== this.held && !this.env.writing()) {
        this.free.committed = (this.free.committed ?? 0) + ans.held - this.held;
        this.held = ans.held;
      }
    }
    this.cap();
    return ans;
  }

  /**
   * The counter holds more than its limit (the limit was lowered under the slices the instances
   * hold): this lease stops granting from the excess — its unused slice shrinks by the overshoot,
   * to nothing at most — and the next write-back returns it.
   */
  private cap(): void {
    let cut = false;
    for (const d of dimsOf(this.counter)) {
      const over = -this.room(d);
      const free = this.free[d] ?? 0;
      if (over > 0 && free > 0) {
        this.free[d] = free - Math.min(free, over);
        cut = true;
      }
    }
    if (cut && this.counter.kind === 'budget') this.env.changed();
  }

  /** A write-back found newer limits in the item: learn them and the counter's value, cap the slice. */
  learn(limits: LeaseAmounts, at: number, used: LeaseAmounts): void {
    if (at <= this.counter.limitsAt) return;
    this.counter = { ...this.counter, limits: { ...this.counter.limits, ...limits }, limitsAt: at };
    this.used = { ...this.used, ...used };
    this.cap();
  }

  /** Newer limits from the caller (its cache refreshed) replace the ones known; older ones never do. */
  refresh(counter: LeaseCounter): void {
    const newer = counter.limitsAt > this.counter.limitsAt;
    this.counter =
      newer || counter.limitsAt === this.counter.limitsAt
        ? counter
        : { ...counter, limits: this.counter.limits, limitsAt: this.counter.limitsAt };
    // A lowered limit the cache brought: the slice is capped against the counter's last known value.
    if (newer) this.cap();
  }

  /** Learns the outcome of a lost take (`fenceLost`). Never throws. */
  async probe(): Promise<void> {
    await this.learnLost().catch(() => undefined);
  }

  /** The probe, in turn with the takes; rejects when the store does not answer. */
  private learnLost(): Promise<unknown> {
    const run = this.takes.then(() => this.fenceLost());
    this.takes = run.catch(() => undefined);
    return run;
  }

  /**
   * Fences the lost take off (so it cannot land after this), then reads whether it had: it landed
   * iff it is the last take of this holder the store applied (no take is sent while one is lost).
   */
  private async fenceLost(): Promise<void> {
    const lost = this.lost;
    if (!lost) return;
    const ans = await this.env.store.fence(this.counter, this.env.holder, this.env.nextOp());
    if (ans.lastOp === lost.op) {
      this.held += lost.size;
      this.free.committed = (this.free.committed ?? 0) + lost.size;
      this.env.changed();
    }
    this.lost = undefined;
  }

  private probeLater(): void {
    if (this.probing) return;
    this.probing = setTimeout(() => {
      this.probing = undefined;
      void this.probe().then(() => {
        if (this.lost) this.probeLater();
      });
    }, LOST_TAKE_PROBE_MS);
    this.probing.unref();
  }

  /** Serves the waiting requests, one refill (one store write) for all waiting at that moment. */
  private async drain(): Promise<void> {
    if (this.draining) return;
    this.draining = true;
    try {
      // Requests arriving in the same turn of the event loop share the refill.
      await Promise.resolve();
      while (this.queue.length) await this.serve(this.queue.splice(0));
    } finally {
      this.draining = false;
    }
  }

  private async serve(batch: Waiter[]): Promise<void> {
    const dims = dimsOf(this.counter);
    let pending = batch;
    try {
      for (let round = 0; round < MAX_REFILL_ROUNDS && pending.length; round++) {
        const demand: LeaseAmounts = {};
        for (const d of dims) demand[d] = pending.reduce((n, w) => n + (w.short[d] ?? 0), 0);
        // A take whose answer was lost is learned of before another is sent (so at most one is ever
        // unknown); if it landed, its slice may already cover the waiters.
        if (this.lost) {
          await this.learnLost();
          if (dims.every((d) => (this.free[d] ?? 0) >= (demand[d] ?? 0))) {
            for (const d of dims) this.free[d] = (this.free[d] ?? 0) - (demand[d] ?? 0);
            if (this.counter.kind === 'budget') this.granted += demand.committed ?? 0;
            for (const w of pending) w.resolve();
            return;
          }
        }
        const size = round === 0 ? this.sliceFor(demand) : demand;
        let ans = await this.take(size);
        // Refused while this instance's own write-back (which returns unused lease) is in flight: the
        // store's figure is about to drop, so wait for it (one write, bounded) and ask again, rather
        // than refuse a request the budget can still cover.
        if (!ans.taken && this.counter.kind === 'budget' && this.env.writing()) {
          await this.env.written();
          ans = await this.take(size);
        }
        if (ans.taken) {
          for (const d of dims) this.free[d] = (this.free[d] ?? 0) + (size[d] ?? 0) - (demand[d] ?? 0);
          if (this.counter.kind === 'budget') this.granted += demand.committed ?? 0;
          for (const w of pending) w.resolve();
          return;
        }
        // Refused: admit the waiters that fit the room the store just reported, in order; refuse the others.
        const room: LeaseAmounts = {};
        for (const d of dims) room[d] = this.room(d);
        const fit: Waiter[] = [];
        for (const w of pending) {
          const refusedOn = dims.find((d) => (w.short[d] ?? 0) > room[d]!);
          if (refusedOn) {
            w.reject(new LeaseRefused(this.counter, refusedOn, Math.max(0, room[refusedOn]!)));
            continue;
          }
          for (const d of dims) room[d] = room[d]! - (w.short[d] ?? 0);
          fit.push(w);
        }
        pending = fit;
      }
      const d = dims[0]!;
      for (const w of pending) w.reject(new LeaseRefused(this.counter, d, Math.max(0, this.room(d))));
    } catch (err) {
      // The store failed: every waiter of this refill gets the error (503 before the first byte).
      for (const w of pending) w.reject(err);
    }
  }
}
