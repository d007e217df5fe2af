/**
 * Refusals and errors the router answered without a usage record (401, 403, 404, 429 by limit,
 * 503 …), counted per account, key, hour and reason so the console can show trouble, not only
 * success. Counts only: a reason is an HTTP status and the router's error code, never a request's
 * content. Noted in memory on the error path (no store call before the answer) and written in
 * batches shortly after; counts are diagnostics, so a write the store refuses is logged and dropped.
 */
import type { RefusalCount, RefusalStore } from '../domain/refusals';
import type { Logger } from './log';

export type { RefusalCount, RefusalStore };

/** How long counts gather before one write (they are read by people, minutes later). */
export const REFUSAL_FLUSH_MS = 1_000;
/** At most this many distinct counts wait in memory; more are dropped and logged (a bound under floods). */
export const MAX_PENDING_REFUSALS = 1_000;

/** The reason a refusal is counted under: its status and code, in the characters a store attribute name takes. */
export function refusalReason(status: number, code: string | null | undefined): string {
  const c = (code ?? 'none')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .slice(0, 48);
  return `${Math.trunc(status)}-${c}`;
}

export class RefusalCounter {
  private pending = new Map<string, RefusalCount>();
  private timer: NodeJS.Timeout | undefined;
  private flight: Promise<void> = Promise.resolve();
  private dropped = 0;

  constructor(
    private readonly store: RefusalStore,
    private readonly log: Logger,
    private readonly flushMs = REFUSAL_FLUSH_MS,
  ) {}

  /** Counts one refusal; the write follows within `flushMs`. */
  note(caller: { accountId: string; keyId: string } | undefined, status: number, code: string | null | undefined, at = new Date()): void {
    const hour = `${at.toISOString().slice(0, 13)}:00`;
    const reason = refusalReason(status, code);
    const k = `${caller?.accountId ?? ''}\u0000${caller?.keyId ?? ''}\u0000${hour}\u0000${reason}`;
    const entry = this.pending.get(k);
    if (entry) entry.count++;
    else if (this.pending.size >= MAX_PENDING_REFUSALS) this.dropped++;
    else this.pending.set(k, { accountId: caller?.accountId, keyId: caller?.keyId, hour, reason, count: 1 });
    this.timer ??= setTimeout(() => void this.flush(), this.flushMs).unref();
  }

  /** Writes what is pending now (the server's stop calls it); resolves when the write ended. */
  flush(): Promise<void> {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    const batch = [...this.pending.values()];
    this.pending = new Map();
    const dropped = this.dropped;
    this.dropped = 0;
    if (dropped) this.log.log('warn', 'refusal counts dropped', { countDropped: dropped });
    if (!batch.length) return this.flight;
    this.flight = this.flight
      .then(() => this.store.add(batch))
      .catch((err: Error) => this.log.log('warn', 'refusal counts not written', { errorName: err.name, countDropped: batch.length }));
    return this.flight;
  }
}
