/**
 * Accounts (policy §2 account information). Personal fields are sealed with the account's own
 * data key (see core/personal-data.ts); the rest — status, limits, flags — is operational data.
 * A closed account gets a TTL: it is kept for the grace period after closure, then deleted (§8).
 */
import { DeleteCommand, GetCommand, PutCommand, ScanCommand, UpdateCommand, type DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import type { Limits } from '../core/limits';
import { isExpired, ttlAfterDays } from './dynamo';

export type AccountStatus = 'active' | 'suspended' | 'closed';

/** Processing flags the code honours (policy §6 restriction and objection). */
export interface AccountFlags {
  /** Restriction of processing: the account's keys are refused; its data is kept, not used. */
  restricted?: boolean;
  /** Objection to processing for analytics: excluded from aggregate statistics. */
  analyticsOptOut?: boolean;
}

export interface AccountRecord {
  accountId: string;
  status: AccountStatus;
  createdAt: string;
  /** Set when the account was erased (§6): nothing personal is left. */
  erasedAt?: string;
  closedAt?: string;
  /** Personal fields, sealed with the account's data key (held in the dataKeys table). */
  personal?: string;
  limits: Limits;
  flags: AccountFlags;
  expiresAt?: number;
}

export class AccountsRepo {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
  ) {}

  async create(record: AccountRecord): Promise<boolean> {
    try {
      await this.db.send(new PutCommand({ TableName: this.table, Item: { pk: `acct#${record.accountId}`, ...record }, ConditionExpression: 'attribute_not_exists(pk)' }));
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
  async update(accountId: string, fields: Partial<Omit<AccountRecord, 'accountId'>>, remove: Array<keyof AccountRecord> = []): Promise<void> {
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
    const expr = [sets.length ? `SET ${sets.join(', ')}` : '', removes.length ? `REMOVE ${removes.join(', ')}` : ''].filter(Boolean).join(' ');
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

  async delete(accountId: string): Promise<void> {
    await this.db.send(new DeleteCommand({ TableName: this.table, Key: { pk: `acct#${accountId}` } }));
  }
}
