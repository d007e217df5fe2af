/**
 * Usage events and per-account daily aggregates (policy §2 usage data; kept per §8).
 * One event per request that reached a provider, idempotent by request id; the event and the
 * day's aggregate are written in one transaction, so they never disagree. Events hold counts,
 * ids and timings only: no prompt, no completion.
 */

import { type DynamoDBDocumentClient, QueryCommand, TransactWriteCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { UsageStore } from '../domain/ports';
import type { DailyAggregate, UsageEvent } from '../domain/usage';
import { isExpired, ttlAfterDays, withConflictRetry } from './dynamo';
import {
  type BatchTarget,
  conditionFailed,
  GroupCommit,
  type PendingRecord,
  recordItems,
  takeBatch,
  USAGE_BATCH_MAX,
  writeBatch,
} from './usage-batch';

/** One request's share of the anonymized statistics, until a write has counted it. */
interface StatsDelta {
  sk: string;
  expiresAt: number;
  promptTokens: number;
  completionTokens: number;
  written?: true;
}

/** With a metering linger, how long statistics gather before one update per day and model. */
export const STATS_LINGER_MS = 250;

/** Partition of the anonymized service-wide statistics (§2: anonymized usage statistics). */
export const STATS_PK = 'stats#global';

export class UsageRepo implements UsageStore {
  /** Records and statistics waiting for the next write, each written by group commit (usage-batch.ts). */
  private pending: PendingRecord[] = [];
  private readonly recordsCommit: GroupCommit;
  private statsPending: StatsDelta[] = [];
  private readonly statsCommit: GroupCommit;
  private get batchTarget(): BatchTarget {
    return { db: this.db, table: this.table, accountsTable: this.accountsTable };
  }

  constructor(
    private readonly db: DynamoDBDocumentClient,
    private readonly table: string,
    private readonly retentionDays: number,
    /** The accounts table: a request still in flight when its account is erased (§6) leaves no record behind. */
    private readonly accountsTable?: string,
    /** How long a write waits for more records to share it (`meteringLingerMs`, core/metering.ts); 0 writes at once. */
    lingerMs = 0,
  ) {
    this.recordsCommit = new GroupCommit(lingerMs);
    // The statistics are sums (no batch limit) and best effort: with a linger they may gather longer.
    this.statsCommit = new GroupCommit(lingerMs > 0 ? Math.max(lingerMs, STATS_LINGER_MS) : 0);
  }

  /**
   * Records one usage event and adds it to the account's daily aggregate, atomically.
   * Unless the account objected to analytics (§6), the anonymized service-wide statistics (per
   * day and model, no account id) count it too, once the event is recorded. Returns false if the event was already recorded
   * (a retried write) or the account was erased: nothing is counted twice, nothing outlives an erasure.
   */
  async record(event: UsageEvent, options: { analytics: boolean } = { analytics: true }): Promise<boolean> {
    const day = event.at.slice(0, 10);
    const expiresAt = ttlAfterDays(new Date(event.at), this.retentionDays);
    const entry: PendingRecord = { event, day, expiresAt };
    this.pending.push(entry);
    if (this.pending.length >= USAGE_BATCH_MAX) this.recordsCommit.nudge();
    // Group commit: a lone record is written at once (or after the linger); records that arrive while
    // a write is in flight or lingering are written together by the next one (one transaction, usage-batch.ts).
    await this.recordsCommit.until(
      () => entry.outcome !== undefined,
      () => writeBatch(takeBatch(this.pending), (e) => this.recordOne(e), this.batchTarget),
    );
    const outcome = entry.outcome!;
    if ('error' in outcome) throw outcome.error;
    if (!outcome.recorded) return false;
    // The service-wide statistics item is shared by every account: updating it outside the transaction
    // keeps it from turning records into conflicts. Best effort: the statistics are anonymized
    // aggregates, not billing data, so the caller (metering) does not
    // wait for them; `idle()` does.
    if (options.analytics) void this.addStats(`day#${day}#${event.servedModel}`, expiresAt, event.promptTokens, event.completionTokens);
    return true;
  }

  /**
   * Resolves once the records and statistics handed in so far are written (metering waits for it
   * before its invocation ends; tests).
   */
  async idle(): Promise<void> {
    await this.recordsCommit.idle();
    // A record's statistics are handed in once the record is written.
    await new Promise((r) => setImmediate(r));
    await this.statsCommit.idle();
  }

  /** Writes one record and its day's aggregate in one transaction; false if already recorded or the account was erased. */
  private async recordOne(entry: PendingRecord): Promise<boolean> {
    const target = this.batchTarget;
    try {
      await withConflictRetry(() => this.db.send(new TransactWriteCommand({ TransactItems: recordItems(target, [entry]) })));
    } catch (err) {
      // Already recorded (a retried write), or the account was erased meanwhile: nothing to add.
      if (conditionFailed(err)) return false;
      throw err;
    }
    return true;
  }

  /**
   * Adds one request to the statistics by group commit: while a write of them is in flight, what
   * arrives is summed and written by the next one (one update per day and model). A lone request
   * writes at once; concurrent ones share writes. Resolves once a write that includes this request
   * has ended; failures are dropped (best effort).
   */
  private async addStats(sk: string, expiresAt: number, promptTokens: number, completionTokens: number): Promise<void> {
    const delta: StatsDelta = { sk, expiresAt, promptTokens, completionTokens };
    this.statsPending.push(delta);
    await this.statsCommit.until(
      () => delta.written === true,
      async () => {
        const batch = this.statsPending.splice(0);
        const bySk = new Map<string, { requests: number; promptTokens: number; completionTokens: number; expiresAt: number }>();
        for (const d of batch) {
          const sum = bySk.get(d.sk) ?? { requests: 0, promptTokens: 0, completionTokens: 0, expiresAt: 0 };
          sum.requests++;
          sum.promptTokens += d.promptTokens;
          sum.completionTokens += d.completionTokens;
          sum.expiresAt = Math.max(sum.expiresAt, d.expiresAt);
          bySk.set(d.sk, sum);
        }
        await Promise.all(
          [...bySk].map(([key, d]) =>
            this.db
              .send(
                new UpdateCommand({
                  TableName: this.table,
                  Key: { pk: STATS_PK, sk: key },
                  UpdateExpression: 'SET expiresAt = :exp ADD requests :n, promptTokens :p, completionTokens :c',
                  ExpressionAttributeValues: { ':exp': d.expiresAt, ':n': d.requests, ':p': d.promptTokens, ':c': d.completionTokens },
                }),
              )
              .catch(() => undefined),
          ),
        );
        for (const d of batch) d.written = true;
      },
    );
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
