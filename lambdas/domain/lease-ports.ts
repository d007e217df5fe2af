/**
 * Ports of budget and rate-limit leases (core/leases.ts, store/lease-repo.ts): the counters a lease
 * draws on, what a take and a write-back answer, and the copy of a limit the counters carry.
 */
import type { Caller, Limits } from './caller';

/** A key of an item in the limits table (a budget counter, a reservation). */
export interface LimitKey {
  pk: string;
  sk: string;
}

/** One dimension of a limits counter: a budget's committed nano-USD, a rate window's requests or tokens. */
export type LeaseDim = 'committed' | 'requests' | 'tokens';

/** Amounts per dimension (only the dimensions a counter limits). */
export type LeaseAmounts = Partial<Record<LeaseDim, number>>;

/** A counter a lease draws on: a budget period or a one-minute rate window of an account or a key. */
export interface LeaseCounter {
  key: LimitKey;
  kind: 'budget' | 'rate';
  /** The limit of each dimension the counter enforces. */
  limits: LeaseAmounts;
  /** When those limits were set (`Limits.setAt`, 0 if never): the counter item's copy wins when it is newer. */
  limitsAt: number;
  who: 'account' | 'API key';
  /** E.g. "monthly budget of this account" (for refusals). */
  label: string;
  resetAt: Date;
}

/** What the store answered to a take: the counter's values after it (taken) or as found (refused). */
export interface TakeAnswer {
  taken: boolean;
  used: LeaseAmounts;
  /** Holders whose budget lease expired unrenewed (their instance died), as found: released by `releaseExpired`. */
  expired: Array<{ holder: string; held: number; until: number }>;
  /** A budget: the asking holder's lease as the store has it (absent when it has none). */
  held?: number;
  /** The limits the counter item carries and when they were set (absent on an item not yet written). */
  stored?: { limits: LeaseAmounts; at: number };
  /** Refused because the item carries limits newer than the take's: nothing was written; ask again with `stored`. */
  stale?: boolean;
  /** A budget: the number of the last take of this holder that the store applied before this one. */
  lastOp?: number;
}

/** What a write-back learned: leases that were gone, and counters whose item carries newer limits. */
export interface BatchAnswer {
  gone: LimitKey[];
  newer: Array<{ key: LimitKey; limits: LeaseAmounts; at: number; used: LeaseAmounts }>;
}

/** A budget lease's write-back: settled spend moves from the holder's lease to the counter, unused lease is returned. */
export interface LeaseBatch {
  flushId: string;
  holder: string;
  /** Epoch seconds until which the holder's lease is renewed. */
  until: number;
  writes: Array<{
    key: LimitKey;
    spent: number;
    requests: number;
    holdDelta: number;
    hold: number;
    /** The limits' time the holder knows: the write is refused (and learns the item's) if the item's is newer. Absent: unchecked (replays). */
    limitsAt?: number;
  }>;
}

/** Leases on budgets and rate windows (store/lease-repo.ts). Each call is one store round trip. */
export interface LeaseStore {
  /** The caller's budget counters and current rate windows. */
  counters(caller: Caller, now: Date): { budgets: LeaseCounter[]; windows: LeaseCounter[] };
  /**
   * Adds `amount` to the counter (and, for a budget, to `holder`'s lease, renewed to `until`) in one
   * conditional write against the limits the item carries when they are newer than the counter's.
   * `op` (increasing per holder) numbers the take in the item, so a take whose answer was lost can be learned of.
   */
  take(counter: LeaseCounter, holder: string, amount: LeaseAmounts, until: number, op?: number): Promise<TakeAnswer>;
  /**
   * Fences off every take of `holder` numbered below `op` (one still in flight can no longer land)
   * and answers the number of its last applied take, and its lease, as they were.
   */
  fence(counter: LeaseCounter, holder: string, op: number): Promise<{ lastOp?: number; held?: number }>;
  /** Releases expired leases found by a refused take; returns how many were released. */
  releaseExpired(counter: LeaseCounter, expired: TakeAnswer['expired']): Promise<number>;
  /**
   * Writes a batch once (a marker makes replays no-ops). `recreate`: if the holder's lease was swept,
   * hold `hold` again; otherwise (an outbox replay) only the spend is added.
   */
  writeBatch(accountId: string, batch: LeaseBatch, recreate: boolean): Promise<BatchAnswer>;
}

/** The copy of a scope's limits that its counters carry: written when an operator changes the limits. */
export interface LimitCopies {
  applyLimits(scope: { kind: 'acct' | 'key'; id: string }, limits: Limits, now: Date): Promise<void>;
}
