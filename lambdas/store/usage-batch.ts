/**
 * Usage records written by group commit (usage-repo.ts): records that arrive while a write is in
 * flight go together in one transaction — each event's conditional put (idempotent by request id),
 * one aggregate update per account and day with the batch's sums, one erasure check per account —
 * so a burst of answered requests costs one round trip, not one each. If any condition fails (a
 * record already written, an account erased meanwhile), the whole transaction is refused and each
 * record is written on its own, as before, so nothing is counted twice and nothing outlives an
 * erasure. A lone record (one request at a time, as in a Lambda instance) is a batch of one.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageEvent } from '../domain/usage';
import { withConflictRetry } from './dynamo';

/**
 * Group commit: a caller whose work is not written yet waits for the write in flight, then the
 * first waiter writes everything gathered meanwhile. `write` must not throw, and must mark what it
 * wrote so that `done` turns true for the callers it covered.
 *
 * With a linger (`lingerMs` > 0 in a long-running server: `meteringLingerMs`, core/metering.ts), a write that would
 * start with no other in flight first waits up to `lingerMs` for more work to gather, or until
 * `nudge()` says a batch is full, so requests answered close together share one write.
 */
export class GroupCommit {
  private flight: Promise<void> | undefined;
  private wake: (() => void) | undefined;

  constructor(private readonly lingerMs = 0) {}

  async until(done: () => boolean, write: () => Promise<void>): Promise<void> {
    while (!done()) {
      if (!this.flight) {
        this.flight = this.gather()
          .then(write)
          .finally(() => {
            this.flight = undefined;
          });
      }
      await this.flight;
    }
  }

  /**
   * Resolves once nothing is gathering or being written that was handed in before this call. Under a
   * steady stream it still ends: when a flight settles, the callers waiting on it since before this
   * call resume first (promise reactions run in order) and start the next flight only for their own
   * leftover work; callers that came later wait behind this one, so it sees no flight and returns.
   * At most two flights, then (test/unit/group-commit.test.ts).
   */
  async idle(): Promise<void> {
    while (this.flight) await this.flight;
  }

  /** Ends the linger of the write being gathered (its batch is full). */
  nudge(): void {
    this.wake?.();
  }

  private gather(): Promise<void> {
    if (this.lingerMs <= 0) return Promise.resolve();
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => this.wake?.(), this.lingerMs);
      this.wake = () => {
        this.wake = undefined;
        clearTimeout(timer);
        resolve();
      };
    });
  }
}

/** At most this many records per transaction: ≤ 3 items each, within DynamoDB's 100. */
export const USAGE_BATCH_MAX = 25;

export interface PendingRecord {
  event: UsageEvent;
  day: string;
  expiresAt: number;
  /** Set once written (or found already written / refused), or failed. */
  outcome?: { recorded: boolean } | { error: unknown };
}

export interface BatchTarget {
  db: DynamoDBDocumentClient;
  table: string;
  accountsTable?: string;
}

const SUMS = ['promptTokens', 'completionTokens', 'cachedReadTokens', 'cacheWriteTokens', 'reasoningTokens', 'costNanoUsd'] as const;

/** The transaction of some records: their puts, one summed aggregate per account and day, one erasure check per account. */
export function recordItems(t: BatchTarget, entries: readonly PendingRecord[]) {
  const aggregates = new Map<string, { accountId: string; day: string; expiresAt: number; n: number; sums: number[] }>();
  for (const { event, day, expiresAt } of entries) {
    const key = `${event.accountId}\u0000${day}`;
    const a = aggregates.get(key) ?? { accountId: event.accountId, day, expiresAt, n: 0, sums: [0, 0, 0, 0, 0, 0, 0] };
    a.n++;
    a.expiresAt = Math.max(a.expiresAt, expiresAt);
    SUMS.forEach((f, i) => {
      a.sums[i]! += event[f];
    });
    a.sums[6]! += event.referenceCostNanoUsd;
    aggregates.set(key, a);
  }
  const accounts = [...new Set(entries.map((e) => e.event.accountId))];
  return [
    ...entries.map(({ event, expiresAt }) => ({
      Put: {
        TableName: t.table,
        Item: { pk: `acct#${event.accountId}`, sk: `evt#${event.requestId}`, type: 'event', ...event, expiresAt },
        ConditionExpression: 'attribute_not_exists(sk)',
      },
    })),
    ...[...aggregates.values()].map((a) => ({
      Update: {
        TableName: t.table,
        Key: { pk: `acct#${a.accountId}`, sk: `day#${a.day}` },
        UpdateExpression:
          'SET #type = :type, #day = :day, expiresAt = :exp ADD requests :n, promptTokens :p, completionTokens :c, cachedReadTokens :cr, cacheWriteTokens :cw, reasoningTokens :r, costNanoUsd :cost, referenceCostNanoUsd :ref',
        ExpressionAttributeNames: { '#type': 'type', '#day': 'day' },
        ExpressionAttributeValues: {
          ':type': 'daily',
          ':day': a.day,
          ':exp': a.expiresAt,
          ':n': a.n,
          ':p': a.sums[0],
          ':c': a.sums[1],
          ':cr': a.sums[2],
          ':cw': a.sums[3],
          ':r': a.sums[4],
          ':cost': a.sums[5],
          ':ref': a.sums[6],
        },
      },
    })),
    ...(t.accountsTable
      ? accounts.map((accountId) => ({
          ConditionCheck: {
            TableName: t.accountsTable!,
            Key: { pk: `acct#${accountId}` },
            ConditionExpression: 'attribute_not_exists(erasedAt)',
          },
        }))
      : []),
  ];
}

/** True if the store refused a transaction because a condition failed (already written, or erased). */
export function conditionFailed(err: unknown): boolean {
  return err instanceof TransactionCanceledException && !!err.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed');
}

/** Takes the next batch off `pending`: in order, at most USAGE_BATCH_MAX, one record per request id. */
export function takeBatch(pending: PendingRecord[]): PendingRecord[] {
  const batch: PendingRecord[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < pending.length && batch.length < USAGE_BATCH_MAX; ) {
    const e = pending[i]!;
    if (ids.has(e.event.requestId)) {
      i++;
      continue;
    }
    ids.add(e.event.requestId);
    batch.push(e);
    pending.splice(i, 1);
  }
  return batch;
}

/** Writes a batch and sets every entry's outcome; never throws. */
export async function writeBatch(batch: PendingRecord[], one: (e: PendingRecord) => Promise<boolean>, t: BatchTarget): Promise<void> {
  const each = async () => {
    for (const e of batch)
      e.outcome = await one(e).then(
        (recorded) => ({ recorded }),
        (error: unknown) => ({ error }),
      );
  };
  if (batch.length === 1) return each();
  try {
    await withConflictRetry(() => t.db.send(new TransactWriteCommand({ TransactItems: recordItems(t, batch) })));
    for (const e of batch) e.outcome = { recorded: true };
  } catch (err) {
    if (conditionFailed(err)) return each();
    for (const e of batch) e.outcome = { error: err };
  }
}
