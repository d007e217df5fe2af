/**
 * Replay of the metering outbox: the usage record (idempotent by request id) and the budget
 * settle (idempotent by the reservation's settle marker) of a request the store did not take at
 * the time. The SQS drain function and the local spool both call `replayOutboxEntry`.
 */

import type { AccountsStore, OutboxEntry, SettleTicket, UsageStore } from '../domain/ports';
import type { UsageEvent } from '../domain/usage';
import type { Logger } from './log';

export interface OutboxReplayDeps {
  recordUsage(event: UsageEvent, options: { analytics: boolean }): Promise<unknown>;
  /** Resolves once the records replayed so far are written, their statistics included (a worker waits once per batch). */
  written?(): Promise<unknown>;
  settleFromOutbox(ticket: SettleTicket, actualCostNano: number): Promise<void>;
  /** True if the account was erased (or is gone): its budget counters were deleted, nothing is settled into them. */
  accountErased(accountId: string): Promise<boolean>;
  log: Logger;
}

/**
 * What a replay needs, from the stores: usage records, budget settles, and whether an account was
 * erased (or is gone). Shared by the SQS drain function and the local runtime.
 */
export function outboxReplayDeps(stores: {
  usage: Pick<UsageStore, 'record' | 'idle'>;
  limits: { settleFromOutbox(ticket: SettleTicket, actualCostNano: number): Promise<void> };
  accounts: Pick<AccountsStore, 'get'>;
  log: Logger;
}): OutboxReplayDeps {
  const { usage, limits, accounts, log } = stores;
  return {
    recordUsage: (e, options) => usage.record(e, options),
    written: async () => usage.idle?.(),
    settleFromOutbox: (ticket, actual) => limits.settleFromOutbox(ticket, actual),
    accountErased: async (accountId) => {
      const a = await accounts.get(accountId);
      return !a || a.erasedAt !== undefined;
    },
    log,
  };
}

/** True if a value parsed from a queue message or spool line is an outbox entry. */
export function isOutboxEntry(value: unknown): value is OutboxEntry {
  const v = value as Partial<OutboxEntry> | null;
  return (
    typeof v === 'object' && v !== null && v.format === 'ctr.outbox/1' && typeof v.requestId === 'string' && typeof v.accountId === 'string'
  );
}

/**
 * Applies one entry; throws if the store is still failing (the caller keeps the entry for later).
 * The usage write conditions on the account not being erased itself.
 *
 * @example
 * await replayOutboxEntry(deps, JSON.parse(record.body));
 */
export async function replayOutboxEntry(deps: OutboxReplayDeps, entry: OutboxEntry): Promise<void> {
  if (!isOutboxEntry(entry)) {
    deps.log.log('error', 'outbox entry malformed', {});
    return;
  }
  if (entry.usage) await deps.recordUsage(entry.usage.event, { analytics: entry.usage.analytics });
  if (entry.settle) {
    if (await deps.accountErased(entry.accountId))
      deps.log.log('info', 'outbox settle skipped: account erased', { requestId: entry.requestId });
    else await deps.settleFromOutbox(entry.settle.ticket, entry.settle.actualCostNano);
  }
  deps.log.log('info', 'outbox entry replayed', {
    requestId: entry.requestId,
    countUsage: entry.usage ? 1 : 0,
    countSettle: entry.settle ? 1 : 0,
  });
}
