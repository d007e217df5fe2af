/**
 * Settling a budget hold, once: the step shared by a request's own settle and the outbox replay
 * of a settle that could not be written at the time (see limits-repo.ts for the counters).
 */
import { createHash } from 'node:crypto';
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { LimitKey } from '../domain/ports';
import { withConflictRetry } from './dynamo';
import { counterExpiry } from './limit-counters';

/**
 * How long the `settled#` marker is kept. A replayed settle older than this could count twice, so
 * the outbox queue keeps messages for less (see lib/router-outbox.ts).
 */
export const SETTLED_MARKER_SECONDS = 2 * 86_400;

/** How long an erasure fence is kept: longer than a reservation (16 min) and an outbox message (1 day) can live. */
export const ERASURE_FENCE_SECONDS = 2 * 86_400;

/**
 * The key of an account's erasure fence in the limits table. Hashed: the fence outlives the
 * erasure by up to two days and must not name the account.
 */
export function erasureFenceKey(accountId: string): LimitKey {
  return { pk: `erased#${createHash('sha256').update(accountId).digest('hex')}`, sk: 'erased' };
}

/** The account id of a reservation key (`resv#acct#<id>`). */
const accountOf = (reservationKey: LimitKey) => reservationKey.pk.replace(/^resv#acct#/, '');

/**
 * Replaces a hold by the actual spend, once. The reservation item is deleted and a short-lived
 * `settled#<reservation>` marker (no account id: it outlives an erasure by up to two days) written
 * in the same transaction, so a retry after a lost response changes nothing; if a sweep already
 * released the hold (the request outlived its reservation), only the spend is added — also guarded
 * by the marker.
 */
export async function settleBudget(
  db: DynamoDBDocumentClient,
  table: string,
  nowSec: number,
  hold: { reservationKey: LimitKey; counters: LimitKey[]; reserved: number; actual: number },
): Promise<void> {
  const { reservationKey, counters, reserved, actual } = hold;
  const marker = {
    Put: {
      TableName: table,
      Item: { pk: `settled#${reservationKey.sk}`, sk: 'settled', expiresAt: nowSec + SETTLED_MARKER_SECONDS },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  const spend = (delta: number) =>
    counters.map((c) => ({
      Update: {
        TableName: table,
        Key: { pk: c.pk, sk: c.sk },
        UpdateExpression: 'ADD committed :d, spent :s, requests :one SET expiresAt = if_not_exists(expiresAt, :exp)',
        ExpressionAttributeValues: { ':d': delta, ':s': actual, ':one': 1, ':exp': counterExpiry(c.sk) },
      },
    }));
  // Every settle checks the account's erasure fence (same table, same transaction): once an erasure
  // has started, nothing is added to the counters it deletes.
  const fence = {
    ConditionCheck: { TableName: table, Key: erasureFenceKey(accountOf(reservationKey)), ConditionExpression: 'attribute_not_exists(pk)' },
  };
  const settledAlready = (err: unknown, markerIndex: number) =>
    err instanceof TransactionCanceledException &&
    (err.CancellationReasons?.[markerIndex]?.Code === 'ConditionalCheckFailed' ||
      err.CancellationReasons?.at(-1)?.Code === 'ConditionalCheckFailed');
  try {
    await withConflictRetry(() =>
      db.send(
        new TransactWriteCommand({
          TransactItems: [
            { Delete: { TableName: table, Key: reservationKey, ConditionExpression: 'attribute_exists(pk)' } },
            marker,
            ...spend(actual - reserved),
          ],
        }),
      ),
    );
  } catch (err) {
    if (settledAlready(err, 1)) return;
    if (!(err instanceof TransactionCanceledException) || err.CancellationReasons?.[0]?.Code !== 'ConditionalCheckFailed') throw err;
    // The hold is gone without a marker: a sweep released it. Add the spend alone.
    try {
      await withConflictRetry(() => db.send(new TransactWriteCommand({ TransactItems: [marker, ...spend(actual), fence] })));
    } catch (again) {
      if (!settledAlready(again, 0)) throw again;
    }
  }
}
