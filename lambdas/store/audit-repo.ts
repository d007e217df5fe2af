/**
 * The audit trail of data-subject requests (policy §6): what was asked, by whom (operator or key
 * holder), when, and the outcome in counts. It never holds personal content.
 */
import { randomBytes } from 'node:crypto';
import { type DynamoDBDocumentClient, PutCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { PrivacyAuditStore } from '../domain/ports';
import type { AuditEntry } from '../domain/records';
import { isExpired, ttlAfterDays } from './dynamo';

export class PrivacyAuditRepo implements PrivacyAuditStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays: number,
  ) {}

  async record(entry: AuditEntry): Promise<void> {
    await this.db.send(
      new PutCommand({
        TableName: this.table,
        Item: {
          pk: `acct#${entry.accountId}`,
          sk: `${entry.at}#${randomBytes(4).toString('hex')}`,
          ...entry,
          expiresAt: ttlAfterDays(new Date(entry.at), this.retentionDays),
        },
      }),
    );
  }

  async list(accountId: string): Promise<AuditEntry[]> {
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
      .map(({ pk: _p, sk: _s, expiresAt: _e, ...rest }) => rest as AuditEntry);
  }
}
