/**
 * Monthly billing statements (policy §2 billing information), kept for the billing retention
 * period (§8, up to 7 years) by the TTL this code sets. Statements carry the account id, amounts
 * and counts only; after an erasure they stay, pseudonymized (§6, §8).
 */
import { type DynamoDBDocumentClient, GetCommand, PutCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { BillingStore } from '../domain/ports';
import type { Statement } from '../domain/records';
import { isExpired, ttlAfterDays } from './dynamo';

export class BillingRepo implements BillingStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays: number,
  ) {}

  async put(statement: Statement, now = new Date()): Promise<void> {
    // The retention clock starts at the end of the billed month.
    const [y, m] = statement.month.split('-').map(Number) as [number, number];
    const monthEnd = new Date(Date.UTC(y, m, 1));
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `acct#${statement.accountId}`,
          sk: `month#${statement.month}`,
          ...statement,
          expiresAt: ttlAfterDays(monthEnd > now ? monthEnd : now, this.retentionDays),
        },
      }),
    );
  }

  async get(accountId: string, month: string): Promise<Statement | undefined> {
    const out = await this.db.send(new GetCommand({ TableName: this.table, Key: { pk: `acct#${accountId}`, sk: `month#${month}` } }));
    if (!out.Item || isExpired(out.Item as { expiresAt?: number }, new Date())) return undefined;
    const { pk: _pk, sk: _sk, expiresAt: _e, ...s } = out.Item;
    return s as Statement;
  }

  async list(accountId: string): Promise<Statement[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': `acct#${accountId}` },
      }),
    );
    const now = new Date();
    return (out.Items ?? [])
      .filter((i) => !isExpired(i as { expiresAt?: number }, now))
      .map(({ pk: _pk, sk: _sk, expiresAt: _e, ...s }) => s as Statement);
  }

  /** Marks an erased account's statements as pseudonymized (they hold no personal fields). */
  async pseudonymize(accountId: string): Promise<number> {
    const items = await this.list(accountId);
    for (const s of items) {
      await this.db.send(
        new UpdateCommand({
          TableName: this.table,
          Key: { pk: `acct#${accountId}`, sk: `month#${s.month}` },
          UpdateExpression: 'SET pseudonymized = :t',
          ExpressionAttributeValues: { ':t': true },
        }),
      );
    }
    return items.length;
  }
}
