/**
 * Writing a budget lease's batch back, once: the settled spend of many requests moves from the
 * holder's lease (`lease_<holder>` of the counter item) to the counter's `spent`, and unused lease
 * is returned (`committed` falls by it). `committed` keeps its meaning — settled spend plus every
 * outstanding hold, leases included — so `committed ≤ limit` stays the store's invariant.
 *
 * Idempotent: a `settled#<flushId>` marker is written in the same transaction, so a retry after a
 * lost answer and an outbox replay of the same batch change nothing the second time.
 */
import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, TransactWriteCommand } from '@aws-sdk/lib-dynamodb';
import type { BatchAnswer, LeaseBatch } from '../domain/ports';
import { erasureFenceKey, SETTLED_MARKER_SECONDS } from './budget-settle';
import { withConflictRetry } from './dynamo';
import { counterExpiry, num, storedLimits } from './limit-counters';

type Write = LeaseBatch['writes'][number];
/** How a counter is written: through the live lease, by re-creating a swept lease, or the spend alone. */
type Mode = 'lease' | 'recreate' | 'spend';

function update(table: string, batch: LeaseBatch, w: Write, mode: Mode) {
  const common = { ':s': w.spent, ':n': w.requests, ':exp': counterExpiry(w.key.sk) };
  if (mode === 'spend')
    return {
      TableName: table,
      Key: w.key,
      UpdateExpression: 'ADD committed :s, spent :s, requests :n SET expiresAt = if_not_exists(expiresAt, :exp)',
      ExpressionAttributeValues: common,
    };
  const names = { '#h': `lease_${batch.holder}`, '#u': `leaseUntil_${batch.holder}` };
  if (mode === 'recreate')
    return {
      TableName: table,
      Key: w.key,
      UpdateExpression: 'ADD committed :c, spent :s, requests :n SET #h = :hold, #u = :until, expiresAt = if_not_exists(expiresAt, :exp)',
      // The counter still exists (not deleted by an erasure, not expired): the holder's lease is re-created in it.
      ConditionExpression: 'attribute_exists(committed)',
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: { ...common, ':c': w.spent + w.hold, ':hold': w.hold, ':until': batch.until },
    };
  // The holder's limits are checked too: an item carrying newer ones refuses the write, so the holder learns them.
  const checked = w.limitsAt !== undefined;
  return {
    TableName: table,
    Key: w.key,
    UpdateExpression: 'ADD committed :c, spent :s, requests :n, #h :dh SET #u = :until, expiresAt = if_not_exists(expiresAt, :exp)',
    ConditionExpression: checked ? 'attribute_exists(#h) AND (attribute_not_exists(limitAt) OR limitAt <= :at)' : 'attribute_exists(#h)',
    ExpressionAttributeNames: names,
    ExpressionAttributeValues: {
      ...common,
      ':c': w.spent + w.holdDelta,
      ':dh': w.holdDelta,
      ':until': batch.until,
      ...(checked ? { ':at': w.limitsAt } : {}),
    },
    ReturnValuesOnConditionCheckFailure: 'ALL_OLD' as const,
  };
}

/**
 * Writes a lease batch in one transaction (marker + one update per counter). If a counter's lease
 * is gone (swept after its expiry, or the counter deleted), that counter gets the spend alone, or —
 * `recreate`, the live holder — the spend and the hold it still needs. Once an erasure has fenced
 * the account nothing is added. Returns the keys whose lease was gone, and the counters whose item
 * carries newer limits than the holder's (the write goes through unchecked; the holder caps its slice).
 */
export async function writeLeaseBatch(
  db: DynamoDBDocumentClient,
  table: string,
  accountId: string,
  batch: LeaseBatch,
  recreate: boolean,
  nowSec = Math.floor(Date.now() / 1000),
): Promise<BatchAnswer> {
  const marker = {
    Put: {
      TableName: table,
      Item: { pk: `settled#${batch.flushId}`, sk: 'settled', expiresAt: nowSec + SETTLED_MARKER_SECONDS },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
  const fence = { ConditionCheck: { TableName: table, Key: erasureFenceKey(accountId), ConditionExpression: 'attribute_not_exists(pk)' } };
  const modes: Mode[] = batch.writes.map(() => 'lease');
  const writes = batch.writes.map((w) => ({ ...w }));
  const answer: BatchAnswer = { gone: [], newer: [] };
  const { gone } = answer;
  // At most four tries: through the leases; newer limits learned; gone leases re-created (or spend alone); then spend alone.
  for (let attempt = 0; attempt < 4; attempt++) {
    const guarded = modes.some((m) => m !== 'lease');
    try {
      await withConflictRetry(() =>
        db.send(
          new TransactWriteCommand({
            TransactItems: [marker, ...writes.map((w, i) => ({ Update: update(table, batch, w, modes[i]!) })), ...(guarded ? [fence] : [])],
          }),
        ),
      );
      return answer;
    } catch (err) {
      if (!(err instanceof TransactionCanceledException)) throw err;
      const reasons = err.CancellationReasons ?? [];
      const failed = (i: number) => reasons[i]?.Code === 'ConditionalCheckFailed';
      // Written before (a retry after a lost answer, a replay), or the account is being erased: nothing to add.
      if (failed(0) || (guarded && failed(batch.writes.length + 1))) return answer;
      const refused = writes.flatMap((_, i) => (failed(i + 1) ? [i] : []));
      if (!refused.length) throw err;
      for (const i of refused) {
        const w = writes[i]!;
        const item = reasons[i + 1]?.Item as Record<string, unknown> | undefined;
        const stored = storedLimits(item, 'budget');
        // The lease is there but the item's limits are newer: learn them, write again unchecked.
        if (
          modes[i] === 'lease' &&
          item?.[`lease_${batch.holder}`] !== undefined &&
          stored &&
          w.limitsAt !== undefined &&
          stored.at > w.limitsAt
        ) {
          answer.newer.push({ key: w.key, limits: stored.limits, at: stored.at, used: { committed: num(item.committed) } });
          delete w.limitsAt;
          continue;
        }
        if (modes[i] === 'lease') gone.push(w.key);
        modes[i] = modes[i] === 'lease' && recreate && w.hold > 0 ? 'recreate' : 'spend';
      }
    }
  }
  throw new Error('lease batch not written');
}
