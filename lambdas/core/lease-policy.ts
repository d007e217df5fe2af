/**
 * The sizes and times a lease keeps (core/leases.ts): how long it lives and grants, how large a
 * slice is, and when unused lease goes back (docs/guarantees-leases.md states the bounds they give);
 * and what a lease needs from its owner.
 */
import type { LeaseCounter, LeaseDim, LeaseStore } from '../domain/ports';
import { LONGEST_REQUEST_SECONDS, WRITE_BACK_SECONDS } from '../domain/request-bounds';

/**
 * A budget lease grants only while it has this long left: the longest a request runs plus the
 * longest its settle takes to be written back (16 min). So a live holder's lease never expires
 * under a request it granted, and another instance that releases an expired lease releases only
 * holds whose requests have ended and whose settles were written (or never will be: a dead holder).
 */
export const LEASE_MIN_LEFT_SECONDS = LONGEST_REQUEST_SECONDS + WRITE_BACK_SECONDS;
/** How long a lease grants after its last renewal (a take or a write-back) before a request renews it with a take. */
export const LEASE_RENEW_SECONDS = 60;
/**
 * A lease is renewed (by every take and write-back) to this many seconds ahead (17 min): the bound
 * on how long a dead or stopped-without-return holder's slice stays unusable by the others.
 */
export const LEASE_TTL_SECONDS = LEASE_MIN_LEFT_SECONDS + LEASE_RENEW_SECONDS;
/** After a take whose answer was lost, it is fenced off and its outcome read (`fence`) this often until the store answers. */
export const LOST_TAKE_PROBE_MS = 2_000;
/** The share of a budget's remaining room one slice takes. */
export const BUDGET_SLICE_FRACTION = 1 / 8;
/** The share of a rate window's remaining room one slice takes. */
export const RATE_SLICE_FRACTION = 1 / 4;
/** A slice covers at most this many requests' worst cases. */
export const SLICE_MAX_REQUESTS = 64;
/** Near the limit (room below this many worst cases), unused lease is returned at every write-back. */
export const NEAR_LIMIT_REQUESTS = 4;
/** A request the counter cannot admit: the store reported `room` left. */
export class LeaseRefused extends Error {
  constructor(
    readonly counter: LeaseCounter,
    readonly dim: LeaseDim,
    readonly room: number,
  ) {
    super('lease refused');
  }
}

/** Refills tried for one batch of waiters before the rest is refused (each try follows a refusal with fresh room). */
export const MAX_REFILL_ROUNDS = 4;

/** The dimensions a counter limits. */
export const dimsOf = (c: LeaseCounter) => Object.keys(c.limits) as LeaseDim[];

/** What the lease needs from its owner. */
export interface LeaseEnv {
  store: LeaseStore;
  holder: string;
  nowSec(): number;
  /** True while a write-back of this counter's account is unwritten (the store's hold may lag ours). */
  writing(): boolean;
  /** Resolves when the write-back now in flight has ended, written or not (bounded by the store's timeouts). */
  written(): Promise<void>;
  /** The next number of a take or fence of this holder (increasing across all its counters). */
  nextOp(): number;
  /** The slice changed outside a request (cut by a lowered limit, grown by a lost take learned of): write back soon, return it when idle. */
  changed(): void;
}
