/**
 * Accounts (policy §2 account information). Personal fields are sealed with the account's own
 * data key (see core/personal-data.ts); the rest — status, limits, flags — is operational data.
 * A closed account gets a TTL: it is kept for the grace period after closure, then deleted (§8).
 */
import { DeleteCommand, type DynamoDBDocumentClient, GetCommand, PutCommand, ScanCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { AccountsStore } from '../domain/ports';
import type { AccountRecord } from '../domain/records';
import { isExpired, ttlAfterDays } from './dynamo';

export class AccountsRepo implements AccountsStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(record: AccountRecord): Promise<boolean> {
    try {
      await this.db.send(
        new PutCommand({
          TableName: this.table,
          Item: { pk: `acct#${record.accountId}`, ...record },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return true;
    } catch (err) {
      if ((err as Error).name === 'ConditionalCheckFailedException') return false;
      throw err;
    }
  }

  async get(accountId: string, now = new Date()): Promise<AccountRecord | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `acct#${accountId}` }, ConsistentRead: true }));
    if (!out.Item || isExpired(out.Item as { expiresAt?: number }, now)) return undefined;
    const { pk: _pk, ...record } = out.Item;
    return record as AccountRecord;
  }

  async list(): Promise<AccountRecord[]> {
    const items: AccountRecord[] = [];
    let start: Record<string, unknown> | undefined;
    const now = new Date();
    do {
      const out = await this.db.send(new ScanCommand({ TableName: this.table, ExclusiveStartKey: start }));
      for (const it of out.Items ?? []) {
        if (isExpired(it as { expiresAt?: number }, now)) continue;
        const { pk: _pk, ...record } = it;
        items.push(record as AccountRecord);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => a.accountId.localeCompare(b.accountId));
  }

  /** Sets some top-level fields of an existing account. */
  async update(
    accountId: string,
    fields: Partial<Omit<AccountRecord, 'accountId'>>,
    remove: Array<keyof AccountRecord> = [],
  ): Promise<void> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    const sets = Object.entries(fields)
      .filter(([, v]) => v !== undefined)
      .map(([k, v], i) => {
        names[`#f${i}`] = k;
        values[`:v${i}`] = v;
        return `#f${i} = :v${i}`;
      });
    const removes = remove.map((k, i) => {
      names[`#r${i}`] = k;
      return `#r${i}`;
    });
    const expr = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : '']
      .filter(Boolean)
      .join(' ');
    if (!expr) return;
    await this.db.send(
      new UpdateCommand({
        TableName: this.table,
        Key: { pk: `acct#${accountId}` },
        UpdateExpression: expr,
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeNames: names,
        ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      }),
    );
  }

  /** Closes an account: kept for `graceDays`, then removed by TTL (§8). */
  async close(accountId: string, graceDays: number, now = new Date()): Promise<void> {
    await this.update(accountId, { status: 'closed', closedAt: now.toISOString(), expiresAt: ttlAfterDays(now, graceDays) });
  }

  /** Makes an erased account a tombstone without personal fields, limits or flags, kept for `graceDays` (§6, §8). */
  async markErased(accountId: string, closedAt: string | undefined, graceDays: number, now = new Date()): Promise<void> {
    await this.update(
      accountId,
      {
        status: 'closed',
        erasedAt: now.toISOString(),
        closedAt: closedAt ?? now.toISOString(),
        limits: {},
        flags: {},
        expiresAt: ttlAfterDays(now, graceDays),
      },
      ['personal'],
    );
  }

  async delete(accountId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: `acct#${accountId}` } }));
  }
}
