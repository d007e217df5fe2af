/**
 * Metering shared by the routes that call providers (chat, embeddings): the budget reservation
 * settled, then one usage record per request, both written reliably, then one log line of counts.
 * Nothing of the request's content is written or logged, only ids, counts and timings.
 */

import type { Caller, RequestMeta } from '../domain/caller';
import type { OutboxEntry, OutboxPort, Reservation } from '../domain/ports';
import type { UsageEvent } from '../domain/usage';
import type { Logger } from './log';
import { processMetrics, recordRequestMetrics } from './metrics';

export interface MeteringDeps {
  recordUsage(event: UsageEvent, options: { analytics: boolean }): Promise<unknown>;
  /** Seals a value (the client IP) with the account's data key; undefined if the account has none. */
  sealForAccount?(accountId: string, value: string): Promise<string | undefined>;
  /** Where metering goes that the store did not take after its retries (replayed later). */
  outbox?: OutboxPort;
  /** Resolves once what metering handed to the store is written (statistics gather after records); never rejects. */
  written?(): Promise<unknown>;
  /** Runs after a budgeted request's spend is settled (budget alerts); its failures are logged, never thrown. */
  afterSettle?(caller: Caller): Promise<unknown>;
  log: Logger;
}

export interface MeteringContext {
  caller: Caller;
  meta?: RequestMeta;
  reservation?: Reservation;
}

/**
 * How long the metering of an answered request may wait for others to share its store writes
 * (usage records, statistics, budget write-backs), `CTR_METERING_LINGER_MS`, 0–1000 ms. A Lambda
 * instance serves one request at a time, so there is nothing to wait for: 0, the default. The local
 * server, one long-running process, sets `LOCAL_METERING_LINGER_MS`. The wait runs after the
 * response has been sent; it only delays when the record is durable (a process that dies in it
 * loses those records, as it would lose a write in flight), and a server stopping waits for it.
 */
export function meteringLingerMs(env: NodeJS.ProcessEnv = process.env): number {
  const ms = Number(env.CTR_METERING_LINGER_MS);
  return Number.isFinite(ms) && ms > 0 ? Math.min(ms, 1000) : 0;
}

/** The local server's linger: at a few hundred requests a second, some tens of answered requests share each write. */
export const LOCAL_METERING_LINGER_MS = 25;

/** Attempts to write a usage record before giving up (the write is idempotent by request id). */
export const RECORD_ATTEMPTS = 5;

/**
 * Runs a store write, retrying transient errors with backoff (at most ~1.5 s of waits); after the
 * last attempt logs `failure` (by name only) and returns false.
 */
async function persistently(
  write: () => Promise<unknown>,
  deps: MeteringDeps,
  failure: 'usage record failed' | 'reservation settle failed',
  requestId: string,
): Promise<boolean> {
  for (let i = 0; ; i++) {
    try {
      await write();
      return true;
    } catch (err) {
      if (i >= RECORD_ATTEMPTS - 1) {
        deps.log.log('error', failure, { requestId, errorName: (err as Error).name, countOutbox: deps.outbox ? 1 : 0 });
        return false;
      }
      // Jittered, so writes that failed together do not retry together.
      await new Promise((r) => setTimeout(r, (0.5 + Math.random()) * 50 * 2 ** i));
    }
  }
}

/**
 * Settles the reservation with the exact cost, then writes the usage record (with the client IP
 * sealed for the account, when known), retrying transient store errors. What still fails goes
 * to the outbox, replayed idempotently when the store is back. Never throws: the client already
 * has its answer, and a failure is logged by name.
 *
 * @example
 * await finishMetering(deps, event, { caller, meta, reservation }); // afterResponse of a route
 */
export async function finishMetering(deps: MeteringDeps, event: UsageEvent, ctx: MeteringContext): Promise<void> {
  const { caller, meta, reservation } = ctx;
  if (meta?.sourceIp && deps.sealForAccount) {
    event.ipSealed = await deps.sealForAccount(caller.accountId, meta.sourceIp).catch(() => undefined);
  }
  const analytics = !caller.analyticsOptOut;
  // The settle is written before the record: a hold released after its holder died (an expired lease,
  // an expired reservation) then never takes back the spend of a request that has a record. A process
  // killed between the two leaves spend counted without a record, never a record whose spend was returned.
  const settled = reservation
    ? await persistently(
        () => reservation.settle(event.costNanoUsd, event.promptTokens + event.completionTokens),
        deps,
        'reservation settle failed',
        event.requestId,
      )
    : true;
  const recorded = await persistently(() => deps.recordUsage(event, { analytics }), deps, 'usage record failed', event.requestId);
  const pending: OutboxEntry = { format: 'ctr.outbox/1', requestId: event.requestId, accountId: event.accountId };
  if (!recorded) pending.usage = { event, analytics };
  if (!settled && reservation?.ticket) pending.settle = { ticket: reservation.ticket, actualCostNano: event.costNanoUsd };
  if ((pending.usage || pending.settle) && deps.outbox) {
    try {
      await deps.outbox.put(pending);
      deps.log.log('warn', 'metering queued to outbox', {
        requestId: event.requestId,
        countUsage: pending.usage ? 1 : 0,
        countSettle: pending.settle ? 1 : 0,
      });
    } catch (err) {
      deps.log.log('error', 'outbox write failed', { requestId: event.requestId, errorName: (err as Error).name });
    }
  }
  if (reservation && reservation.reservedNanoUsd !== undefined && event.costNanoUsd > reservation.reservedNanoUsd) {
    deps.log.log('warn', 'settled above reservation', { requestId: event.requestId, costNanoUsd: event.costNanoUsd });
  }
  if (settled && reservation?.reservedNanoUsd !== undefined && deps.afterSettle) {
    await deps
      .afterSettle(caller)
      .catch((err: Error) => deps.log.log('error', 'budget alert failed', { requestId: event.requestId, errorName: err.name }));
  }
  // The invocation ends only once its writes are done (a frozen Lambda would hold them).
  await deps.written?.().catch(() => undefined);
  recordRequestMetrics(processMetrics(), {
    model: event.servedModel,
    provider: event.provider,
    ok: event.status === 'ok',
    promptTokens: event.promptTokens,
    completionTokens: event.completionTokens,
    costNanoUsd: event.costNanoUsd,
  });
  deps.log.log('info', 'request metered', {
    requestId: event.requestId,
    accountId: event.accountId,
    keyId: event.keyId,
    provider: event.provider,
    model: event.servedModel,
    status: event.status === 'ok' ? 200 : 599,
    promptTokens: event.promptTokens,
    completionTokens: event.completionTokens,
    costNanoUsd: event.costNanoUsd,
    latencyMs: event.latencyMs,
    ttftMs: event.ttftMs,
  });
}
