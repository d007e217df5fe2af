/**
 * Once-only markers in the limits table (home region, like the budget counters): a conditional
 * put that succeeds for exactly one writer per key; the item expires by TTL.
 */
import { ConditionalCheckFailedException } from '@aws-sdk/client-dynamodb';
import { DeleteCommand, type DynamoDBDocumentClient, PutCommand } from '@aws-sdk/lib-dynamodb';

/**
 * True when this call wrote the marker, false when it already existed.
 *
 * @example
 * const first = await markOnce(db, tables.limits, 'alert#acct#acme#month#2026-11#80', expiresAt);
 */
export async function markOnce(db: DynamoDBDocumentClient, table: string, key: string, expiresAtSec: number): Promise<boolean> {
  try {
    await db.send(
      new PutCommand({
        TableName: table,
        Item: { pk: key, sk: 'marker', expiresAt: expiresAtSec },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return true;
  } catch (err) {
    if (err instanceof ConditionalCheckFailedException || (err as Error).name === 'ConditionalCheckFailedException') return false;
    throw err;
  }
}

/** Deletes a marker (its alert could not be sent: a later check may send it). */
export async function unmark(db: DynamoDBDocumentClient, table: string, key: string): Promise<void> {
  await db.send(new DeleteCommand({ TableName: table, Key: { pk: key, sk: 'marker' } }));
}
