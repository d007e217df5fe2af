/**
 * Lambda entry of the outbox drain: SQS event source on the outbox queue. Each message is the
 * metering of one answered request that the store did not take at the time; it is replayed
 * idempotently (usage record by request id, budget settle by its marker).
 */
import type { SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../core/config';
import { type OutboxReplayDeps, outboxReplayDeps, replayOutboxEntry } from '../core/outbox';
import { AccountsRepo } from '../store/accounts-repo';
import { LimitsRepo } from '../store/limits-repo';
import { UsageRepo } from '../store/usage-repo';
import { eachRecord, workerStore } from './workers';

let deps: OutboxReplayDeps | undefined;

function replayDeps(): OutboxReplayDeps {
  if (deps) return deps;
  const config = loadConfig(process.env);
  const { db, homeDb, tables, log } = workerStore();
  const usage = new UsageRepo(db, tables.usage, config.retention.usageDays, tables.accounts);
  const limits = new LimitsRepo(homeDb, tables.limits, config.retention.rateLimitSeconds);
  const accounts = new AccountsRepo(db, tables.accounts);
  deps = outboxReplayDeps({ usage, limits, accounts, log });
  return deps;
}

export async function handler(event: SQSEvent): Promise<SQSBatchResponse> {
  const d = replayDeps();
  const result = await eachRecord(event, (record) => replayOutboxEntry(d, JSON.parse(record.body)), d.log);
  // The invocation ends once the batch's statistics are written too (a frozen function would hold them).
  await d.written?.();
  return result;
}
