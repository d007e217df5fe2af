/**
 * Refusal counts (core/refusals.ts) in the usage table: one item per account, hour and key
 * (`acct#<id>` / `ref#<hour>#<keyId>`), an attribute `n_<reason>` per reason, kept as long as usage
 * data (§8) and deleted with the account's usage partition on erasure (§6). Refusals of callers that
 * were never authenticated count service-wide (`refusals#global`, no account). No count lands after an
 * erasure: each account's update is a transaction with the same fence the usage records use.
 */
import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { RefusalCount, RefusalStore } from '../domain/refusals';
import { isExpired, ttlAfterDays } from './dynamo';

/** Partition of the refusals no account can be named for (bad or missing keys). */
export const GLOBAL_REFUSALS_PK = 'refusals#global';
/** DynamoDB's limit on the items of one transaction, less the fence. */
const MAX_TRANSACTION_UPDATES = 99;

export class RefusalsRepo implements RefusalStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly accountsTable: string,
    private readonly retentionDays: number,
  ) {}

  async add(counts: readonly RefusalCount[]): Promise<void> {
    // One update per item (account, hour, key), adding every reason it got.
    const items = new Map<string, { pk: string; sk: string; accountId?: string; hour: string; adds: Map<string, number> }>();
    for (const c of counts) {
      const pk = c.accountId ? `acct#${c.accountId}` : GLOBAL_REFUSALS_PK;
      const sk = `ref#${c.hour}#${c.accountId ? (c.keyId ?? '-') : '-'}`;
      const item = items.get(`${pk}\u0000${sk}`) ?? { pk, sk, accountId: c.accountId, hour: c.hour, adds: new Map() };
      item.adds.set(c.reason, (item.adds.get(c.reason) ?? 0) + c.count);
      items.set(`${pk}\u0000${sk}`, item);
    }
    const update = (i: { pk: string; sk: string; hour: string; adds: Map<string, number> }) => {
      const names: Record<string, string> = { '#type': 'type' };
      const values: Record<string, unknown> = { ':type': 'refusals', ':exp': ttlAfterDays(new Date(), this.retentionDays) };
      const adds = [...i.adds].map(([reason, n], j) => {
        names[`#r${j}`] = `n_${reason}`;
        values[`:r${j}`] = n;
        return `#r${j} :r${j}`;
      });
      return {
        TableName: this.table,
        Key: { pk: i.pk, sk: i.sk },
        UpdateExpression: `SET #type = :type, expiresAt = :exp ADD ${adds.join(', ')}`,
        ExpressionAttributeNames: names,
        ExpressionAttributeValues: values,
      };
    };
    const byAccount = new Map<string, ReturnType<typeof update>[]>();
    const writes: Promise<unknown>[] = [];
    for (const i of items.values()) {
      if (!i.accountId) writes.push(this.db.send(new UpdateCommand(update(i))));
      else byAccount.set(i.accountId, [...(byAccount.get(i.accountId) ?? []), update(i)]);
    }
    for (const [accountId, updates] of byAccount)
      for (let at = 0; at < updates.length; at += MAX_TRANSACTION_UPDATES)
        writes.push(
          this.db.send(
            new TransactWriteCommand({
              TransactItems: [
                ...updates.slice(at, at + MAX_TRANSACTION_UPDATES).map((u) => ({ Update: u })),
                {
                  ConditionCheck: {
                    TableName: this.accountsTable,
                    Key: { pk: `acct#${accountId}` },
                    ConditionExpression: 'attribute_not_exists(erasedAt)',
                  },
                },
              ],
            }),
          ),
        );
    const failed = (await Promise.allSettled(writes)).find((r) => r.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  }

  /** An account's refusal counts between two hours (inclusive), one entry per hour, key and reason. */
  async list(accountId: string, fromHour: string, toHour: string): Promise<RefusalCount[]> {
    const out: RefusalCount[] = [];
    const now = new Date();
    let startKey: Record<string, unknown> | undefined;
    do {
      const page = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': `acct#${accountId}`, ':from': `ref#${fromHour}`, ':to': `ref#${toHour}#\uffff` },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        if (isExpired(item as { expiresAt?: number }, now)) continue;
        const [, hour, keyId] = String(item.sk).split('#');
        for (const [attr, n] of Object.entries(item))
          if (attr.startsWith('n_') && typeof n === 'number') out.push({ accountId, keyId, hour: hour!, reason: attr.slice(2), count: n });
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return out;
  }
}
