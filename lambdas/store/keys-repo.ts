/**
 * API keys. The secret is shown once at creation and stored only as its SHA-256 hash; the
 * item keeps the account, a name, a display prefix and a status (policy §2 credentials, §5).
 */
import { createHash, randomBytes } from 'node:crypto';
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Limits } from '../domain/caller';
import type { KeysStore } from '../domain/ports';
import type { ApiKeyRecord } from '../domain/records';
import { isExpired } from './dynamo';

export const KEY_PREFIX = 'sk-ctr-';

export function hashKey(secret: string): string {
  return createHash('sha256').update(secret, 'utf8').digest('hex');
}

export class KeysRepo implements KeysStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  /** Creates a key; returns the record and the secret (the only time it exists outside the caller). */
  async create(
    accountId: string,
    name: string,
    now = new Date(),
    options: { validUntil?: string; limits?: Limits; rotatedFrom?: string } = {},
  ): Promise<{ record: ApiKeyRecord; secret: string }> {
    const secret = KEY_PREFIX + randomBytes(24).toString('base64url');
    const record: ApiKeyRecord = {
      keyId: `key_${randomBytes(8).toString('hex')}`,
      accountId,
      name,
      prefix: secret.slice(0, KEY_PREFIX.length + 6),
      status: 'active',
      createdAt: now.toISOString(),
      ...(options.validUntil ? { validUntil: options.validUntil } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      ...(options.rotatedFrom ? { rotatedFrom: options.rotatedFrom } : {}),
    };
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: { pk: `hash#${hashKey(secret)}`, ...record },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    return { record, secret };
  }

  /** The active key for a secret, or undefined (unknown, revoked, past validity, or expired). */
  async findActiveBySecret(secret: string, now = new Date()): Promise<ApiKeyRecord | undefined> {
    if (!secret.startsWith(KEY_PREFIX)) return undefined;
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `hash#${hashKey(secret)}` } }));
    const item = out.Item as (ApiKeyRecord & { pk: string }) | undefined;
    if (item?.status !== 'active' || isExpired(item, now)) return undefined;
    if (item.validUntil && Date.parse(item.validUntil) <= now.getTime()) return undefined;
    const { pk: _pk, ...record } = item;
    return record;
  }

  /** The keys of an account, without those past their TTL (DynamoDB deletes them late). */
  async listByAccount(accountId: string, now = new Date()): Promise<ApiKeyRecord[]> {
    return (await this.allByAccount(accountId)).filter((k) => !isExpired(k, now));
  }

  /** Every key item of an account, expired or not: erasure and closure must reach them all. */
  private async allByAccount(accountId: string): Promise<ApiKeyRecord[]> {
    const items: ApiKeyRecord[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          IndexName: 'byAccount',
          KeyConditionExpression: 'accountId = :a',
          ExpressionAttributeValues: { ':a': accountId },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const it of out.Items ?? []) {
        const { pk: _pk, ...record } = it as ApiKeyRecord & { pk: string };
        items.push(record);
      }
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    return items;
  }

  private async itemById(keyId: string): Promise<(ApiKeyRecord & { pk: string }) | undefined> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: 'byKeyId',
        KeyConditionExpression: 'keyId = :k',
        ExpressionAttributeValues: { ':k': keyId },
      }),
    );
    return out.Items?.[0] as (ApiKeyRecord & { pk: string }) | undefined;
  }

  async getById(keyId: string, now = new Date()): Promise<ApiKeyRecord | undefined> {
    const item = await this.itemById(keyId);
    if (!item || isExpired(item, now)) return undefined;
    const { pk: _pk, ...record } = item;
    return record;
  }

  /** Revokes a key by id; returns false if there is no such key. */
  async revoke(keyId: string, now = new Date()): Promise<boolean> {
    const item = await this.itemById(keyId);
    if (!item) return false;
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: item.pk },
        UpdateExpression: 'SET #s = :r, revokedAt = :t',
        ExpressionAttributeNames: { '#s': 'status' },
        ExpressionAttributeValues: { ':r': 'revoked', ':t': now.toISOString() },
      }),
    );
    return true;
  }

  /** Sets a key's limits; returns false if there is no such key. */
  async setLimits(keyId: string, limits: Limits): Promise<boolean> {
    const item = await this.itemById(keyId);
    if (!item) return false;
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: item.pk },
        UpdateExpression: 'SET limits = :l',
        ExpressionAttributeValues: { ':l': limits },
      }),
    );
    return true;
  }

  /** Deletes every key of an account (erasure). */
  async deleteByAccount(accountId: string): Promise<number> {
    const keys = await this.allByAccount(accountId);
    for (const k of keys) {
      const item = await this.itemById(k.keyId);
      if (item) await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: item.pk } }));
    }
    return keys.length;
  }

  /** Sets the TTL of every key of an account (account closure: kept for the grace period, §8). */
  async expireByAccount(accountId: string, expiresAt: number): Promise<void> {
    for (const k of await this.allByAccount(accountId)) {
      const item = await this.itemById(k.keyId);
      if (item)
        await this.db.send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: item.pk },
            UpdateExpression: 'SET expiresAt = :e, #s = :r',
            ExpressionAttributeNames: { '#s': 'status' },
            ExpressionAttributeValues: { ':e': expiresAt, ':r': 'revoked' },
          }),
        );
    }
  }
}
