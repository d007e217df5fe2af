/**
 * Usage events and per-account daily aggregates (policy §2 usage data; kept per §8).
 * One event per request that reached a provider, idempotent by request id; the event and the
 * day's aggregate are written in one transaction, so they never disagree. Events hold counts,
 * ids and timings only: no prompt, no completion.
 */

import { TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageStore } from '../domain/ports';
import type { DailyAggregate, UsageEvent } from '../domain/usage';
import { isExpired, ttlAfterDays, withConflictRetry } from './dynamo';

/** Partition of the anonymized service-wide statistics (§2: anonymized usage statistics). */
export const STATS_PK = 'stats#global';

export class UsageRepo implements UsageStore {
  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays: number,
    /** The accounts table: a request still in flight when its account is erased (§6) leaves no record behind. */
    private readonly accountsTable?: string,
  ) {}

  /**
   * Records one usage event and adds it to the account's daily aggregate, atomically.
   * Unless the account objected to analytics (§6), the anonymized service-wide statistics (per
   * day and model, no account id) count it too, once the event is recorded. Returns false if the event was already recorded
   * (a retried write) or the account was erased: nothing is counted twice, nothing outlives an erasure.
   */
  async record(event: UsageEvent, options: { analytics: boolean } = { analytics: true }): Promise<boolean> {
    const day = event.at.slice(0, 10);
    const expiresAt = ttlAfterDays(new Date(event.at), this.retentionDays);
    try {
      await withConflictRetry(() =>
        this.db.send(
          new TransactWriteCommand({
            TransactItems: [
              {
                Put: {
                  TableName: this.table,
                  Item: { pk: `acct#${event.accountId}`, sk: `evt#${event.requestId}`, type: 'event', ...event, expiresAt },
                  ConditionExpression: 'attribute_not_exists(sk)',
                },
              },
              {
                Update: {
                  TableName: this.table,
                  Key: { pk: `acct#${event.accountId}`, sk: `day#${day}` },
                  UpdateExpression:
                    'SET #type = :type, #day = :day, expiresAt = :exp ADD requests :one, promptTokens :p, completionTokens :c, cachedReadTokens :cr, cacheWriteTokens :cw, reasoningTokens :r, costNanoUsd :cost, referenceCostNanoUsd :ref',
                  ExpressionAttributeNames: { '#type': 'type', '#day': 'day' },
                  ExpressionAttributeValues: {
                    ':type': 'daily',
                    ':day': day,
                    ':exp': expiresAt,
                    ':one': 1,
                    ':p': event.promptTokens,
                    ':c': event.completionTokens,
                    ':cr': event.cachedReadTokens,
                    ':cw': event.cacheWriteTokens,
                    ':r': event.reasoningTokens,
                    ':cost': event.costNanoUsd,
                    ':ref': event.referenceCostNanoUsd,
                  },
                },
              },
              ...(this.accountsTable
                ? [
                    {
                      ConditionCheck: {
                        TableName: this.accountsTable,
                        Key: { pk: `acct#${event.accountId}` },
                        ConditionExpression: 'attribute_not_exists(erasedAt)',
                      },
                    },
                  ]
                : []),
            ],
          }),
        ),
      );
    } catch (err) {
      // Already recorded (a retried write), or the account was erased meanwhile: nothing to add.
      if (err instanceof TransactionCanceledException && err.CancellationReasons?.some((r) => r.Code === 'ConditionalCheckFailed'))
        return false;
      throw err;
    }
    // The service-wide statistics item is shared by every account: updating it outside the transaction
    // keeps it from turning records into conflicts. Best effort: the statistics are anonymized
    // aggregates, not billing data.
    if (options.analytics) {
      await this.db
        .send(
          new UpdateCommand({
            TableName: this.table,
            Key: { pk: STATS_PK, sk: `day#${day}#${event.servedModel}` },
            UpdateExpression: 'SET expiresAt = :exp ADD requests :one, promptTokens :p, completionTokens :c',
            ExpressionAttributeValues: { ':exp': expiresAt, ':one': 1, ':p': event.promptTokens, ':c': event.completionTokens },
          }),
        )
        .catch(() => undefined);
    }
    return true;
  }

  private async query(accountId: string, prefix: string, from: string, to: string): Promise<Record<string, unknown>[]> {
    const items: Record<string, unknown>[] = [];
    let startKey: Record<string, unknown> | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND sk BETWEEN :from AND :to',
          ExpressionAttributeValues: { ':pk': `acct#${accountId}`, ':from': `${prefix}${from}`, ':to': `${prefix}${to}` },
          ExclusiveStartKey: startKey,
        }),
      );
      items.push(...(out.Items ?? []));
      startKey = out.LastEvaluatedKey;
    } while (startKey);
    const now = new Date();
    return items.filter((i) => !isExpired(i as { expiresAt?: number }, now));
  }

  /** Usage events of an account whose request ids fall in a range (ids sort by time). */
  async events(accountId: string, fromId = '', toId = '\uffff'): Promise<UsageEvent[]> {
    const items = await this.query(accountId, 'evt#', fromId, toId);
    return items.map(({ pk: _pk, sk: _sk, type: _t, expiresAt: _e, ...rest }) => rest as unknown as UsageEvent);
  }

  /** Anonymized service-wide statistics of one day, per model. */
  async stats(day: string): Promise<Array<{ model: string; requests: number; promptTokens: number; completionTokens: number }>> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :d)',
        ExpressionAttributeValues: { ':pk': STATS_PK, ':d': `day#${day}#` },
      }),
    );
    const now = new Date();
    return (out.Items ?? [])
      .filter((i) => !isExpired(i as { expiresAt?: number }, now))
      .map((i) => ({
        model: String(i.sk).slice(`day#${day}#`.length),
        requests: Number(i.requests),
        promptTokens: Number(i.promptTokens),
        completionTokens: Number(i.completionTokens),
      }));
  }

  /** Daily aggregates of an account between two days (YYYY-MM-DD, inclusive). */
  async daily(accountId: string, fromDay: string, toDay: string): Promise<DailyAggregate[]> {
    const items = await this.query(accountId, 'day#', fromDay, toDay);
    return items.map(({ pk: _pk, sk: _sk, type: _t, expiresAt: _e, ...rest }) => rest as unknown as DailyAggregate);
  }
}
