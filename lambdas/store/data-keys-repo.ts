/**
 * Wrapped per-account data keys, in their own table without point-in-time recovery: deleting an
 * item here is final, in every replica, so it crypto-shreds the account's personal fields
 * (policy §6 erasure). See core/personal-data.ts.
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { DataKeyStore } from '../domain/ports';
import { isExpired } from './dynamo';

export class DataKeysRepo implements DataKeyStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async put(accountId: string, wrapped: string): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `acct#${accountId}`, wrapped },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async get(accountId: string): Promise<string | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `acct#${accountId}` }, ConsistentRead: true }));
    if (isExpired(out.Item as { expiresAt?: number } | undefined, new Date())) return undefined;
    return out.Item?.wrapped as string | undefined;
  }

  /** Schedules the key's deletion (account closure: the grace period, §8); TTL then shreds it. */
  async expire(accountId: string, expiresAt: number): Promise<void> {
    await this.db
      .send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `acct#${accountId}` },
          UpdateExpression: 'SET expiresAt = :e',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeValues: { ':e': expiresAt },
        }),
      )
      .catch((err: Error) => {
        if (err.name !== 'ConditionalCheckFailedException') throw err;
      });
  }

  async delete(accountId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: `acct#${accountId}` } }));
  }
}
