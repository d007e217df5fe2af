/**
 * Lambda entry of the erasure worker: SQS event source on the erasure-jobs queue. Each message
 * names a job; one run deletes pages until its time budget is spent, checkpointing after each,
 * and queues the job again if data is left (core/erasure-job.ts).
 */
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../core/config';
import { type ErasureRunDeps, runErasureJob } from '../core/erasure-job';
import { PrivacyAuditRepo } from '../store/audit-repo';
import { BillingRepo } from '../store/billing-repo';
import { ErasureJobsRepo } from '../store/erasure-jobs-repo';
import { ErasureRepo } from '../store/erasure-repo';
import { SqsJobRunner } from '../store/job-queue-sqs';
import { sqsClient } from '../store/outbox-sqs';
import { eachRecord, workerStore } from './workers';

/** Time kept back from the function's remaining time for the last page and the checkpoint. */
export const ERASURE_RUN_MARGIN_MS = 15_000;

let deps: (ErasureRunDeps & { log: ReturnType<typeof workerStore>['log'] }) | undefined;

function runDeps() {
  if (deps) return deps;
  const config = loadConfig(process.env);
  const { db, homeDb, tables, log } = workerStore();
  deps = {
    billing: new BillingRepo(db, tables.billing, config.retention.billingDays),
    audit: new PrivacyAuditRepo(db, tables.privacyAudit, config.retention.privacyAuditDays),
    erasure: new ErasureRepo(db, homeDb, tables),
    jobs: new ErasureJobsRepo(db, tables.privacyAudit, config.retention.privacyAuditDays),
    runner: new SqsJobRunner(sqsClient(), process.env.CTR_ERASURE_QUEUE_URL ?? ''),
    now: () => new Date(),
    log,
  };
  return deps;
}

export async function handler(event: SQSEvent, context: Context): Promise<SQSBatchResponse> {
  const d = runDeps();
  return eachRecord(
    event,
    async (record) => {
      const { jobId } = JSON.parse(record.body) as { jobId?: unknown };
      if (typeof jobId !== 'string') return; // not a job: nothing to retry
      await runErasureJob(d, jobId, Math.max(1_000, context.getRemainingTimeInMillis() - ERASURE_RUN_MARGIN_MS));
    },
    d.log,
  );
}
