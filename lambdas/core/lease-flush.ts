/**
 * Write-back of one account's budget leases: the settles of every request since the last write
 * go to the store in ONE transaction (one conditional ADD per counter plus a marker), after the
 * responses — never before a first byte. Settles that arrive while a write is in flight share the
 * next one. A batch is cut once and retried as cut (its marker makes every retry and an outbox
 * replay of it a no-op after the first success), so nothing is counted twice and nothing answered
 * goes unmetered while the instance lives; the outbox carries it when the store keeps refusing.
 */
import { randomUUID } from 'node:crypto';
import type { LeaseBatch, LeaseStore, LeaseTicket } from '../domain/ports';
import { LEASE_TTL_SECONDS } from './lease-policy';
import type { CounterLease } from './leases';

/** Settles arriving within this many milliseconds of each other share one write (longer with a metering linger). */
export const FLUSH_COALESCE_MS = 2;
/** Without a grant for this long, the account's unused budget leases are returned. */
export const LEASE_IDLE_MS = 10_000;
/** A batch the store refuses this many times is left to the outbox (metering put it there). */
const MAX_BATCH_ATTEMPTS = 20;

interface Cut {
  seq: number;
  batch: LeaseBatch;
  attempts: number;
}

export class AccountFlush {
  readonly leases = new Set<CounterLease>();
  /** The number of the next batch to be cut: a settle's spend goes into the batch with this number. */
  seq = 0;
  private unwritten: Cut[] = [];
  private next: Promise<void> | undefined;
  private inflight: Promise<void> | undefined;
  private idle: NodeJS.Timeout | undefined;
  /** Store writes made (batches written), for the counts in tests and README. */
  writes = 0;

  constructor(
    readonly accountId: string,
    private readonly store: LeaseStore,
    private readonly holder: string,
    private readonly nowSec: () => number,
    /** The metering linger (`meteringLingerMs`, metering.ts); the write waits at least FLUSH_COALESCE_MS. */
    private readonly lingerMs = 0,
  ) {}

  /** True while a cut batch is not yet written (the store's holds lag the local ones). */
  writing(): boolean {
    return this.unwritten.length > 0 || this.inflight !== undefined;
  }

  /** Resolves when the write-back in flight (or lingering) has ended, whether or not the store took it. */
  written(): Promise<void> {
    return (this.inflight ?? Promise.resolve()).catch(() => undefined);
  }

  /** The ticket of batch `seq` if it is still unwritten (for the outbox). */
  ticket(seq: number): LeaseTicket | undefined {
    const cut = this.unwritten.find((c) => c.seq === seq);
    return cut ? { accountId: this.accountId, lease: cut.batch } : undefined;
  }

  /** Writes everything settled so far (sharing a write with settles close in time); rejects if the store refused. */
  flush(returnAll = false): Promise<void> {
    if (returnAll) return this.chain(() => this.run(true));
    this.next ??= this.chain(async () => {
      await new Promise((r) => setTimeout(r, Math.max(FLUSH_COALESCE_MS, this.lingerMs)));
      this.next = undefined;
      await this.run(false);
    });
    return this.next;
  }

  private chain(fn: () => Promise<void>): Promise<void> {
    const run = (this.inflight ?? Promise.resolve()).catch(() => undefined).then(fn);
    const tracked = run.finally(() => {
      if (this.inflight === tracked) this.inflight = undefined;
    });
    this.inflight = tracked;
    return tracked;
  }

  /** Cuts a batch of what changed (returning unused lease when idle or near the limit) and writes every unwritten batch. */
  private async run(returnAll: boolean): Promise<void> {
    this.cut(returnAll);
    let failure: unknown;
    for (const cut of [...this.unwritten]) {
      try {
        cut.attempts++;
        this.writes++;
        const { newer } = await this.store.writeBatch(this.accountId, cut.batch, true);
        this.unwritten = this.unwritten.filter((c) => c !== cut);
        // The item's limits changed under this lease (an operator lowered or raised them): the slice is capped now.
        for (const n of newer)
          for (const l of this.leases) if (l.counter.key.pk === n.key.pk && l.counter.key.sk === n.key.sk) l.learn(n.limits, n.at, n.used);
      } catch (err) {
        failure = err;
        if (cut.attempts >= MAX_BATCH_ATTEMPTS) this.unwritten = this.unwritten.filter((c) => c !== cut);
      }
    }
    this.armIdle();
    if (failure) throw failure;
  }

  private cut(returnAll: boolean): void {
    const seq = this.seq++;
    const until = this.nowSec() + LEASE_TTL_SECONDS;
    const writes: LeaseBatch['writes'] = [];
    for (const l of this.leases) {
      const free = l.free.committed ?? 0;
      const keep = returnAll || l.near() ? 0 : Math.max(0, free);
      const hold = l.granted + keep;
      const holdDelta = hold - l.held;
      if (holdDelta === 0 && l.spent === 0 && l.requests === 0) continue;
      writes.push({ key: l.counter.key, spent: l.spent, requests: l.requests, holdDelta, hold, limitsAt: l.counter.limitsAt });
      l.held = hold;
      l.free.committed = keep;
      l.spent = 0;
      l.requests = 0;
      l.until = until;
    }
    if (writes.length) this.unwritten.push({ seq, attempts: 0, batch: { flushId: randomUUID(), holder: this.holder, until, writes } });
  }

  /** A lease's slice changed outside a request: written back soon (a cut slice goes back), then returned when idle. */
  changed(): void {
    void this.flush().catch(() => undefined);
  }

  /** After a quiet spell the unused leases go back, so other instances can use them. */
  private armIdle(): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      const last = Math.max(0, ...[...this.leases].map((l) => l.lastUse));
      if ((this.nowSec() - last) * 1000 >= LEASE_IDLE_MS - 1000) void this.flush(true).catch(() => undefined);
    }, LEASE_IDLE_MS);
    this.idle.unref();
  }

  /** Returns every unused lease now (tests, shutdown): a lost take is learned of first, so what it took goes back too. */
  async returnAll(): Promise<void> {
    clearTimeout(this.idle);
    await Promise.all([...this.leases].map((l) => l.probe()));
    await this.flush(true);
    clearTimeout(this.idle);
  }
}
