/**
 * Erasure as a job (§6) that finishes and cannot race:
 * 1. `start`: the account is marked erased first (`erasedAt`: every later usage write's condition
 *    sees it, and its keys stop authenticating) and its budget counters fenced (every settle's
 *    condition sees that, in the home region), then its data key is shredded and its API keys
 *    deleted; a job is saved and queued. The caller gets the job at once (HTTP 202).
 * 2. `run`: deletes the usage, support and limit partitions in bounded pages (BatchWriteItem of
 *    25), saving a checkpoint after every page; when its time budget is spent it queues itself
 *    again, so no single invocation has to finish a large account. A run that dies resumes from
 *    the last checkpoint. When nothing is left, billing is pseudonymized (kept for tax, §8), the
 *    job is marked done with its counts, and the erasure is audited.
 */
import { randomUUID } from 'node:crypto';
import { RouterError } from '../domain/errors';
import type {
  AccountsStore,
  BillingStore,
  ErasureJob,
  ErasureJobStore,
  ErasureStore,
  JobRunnerPort,
  KeysStore,
  PrivacyAuditStore,
} from '../domain/ports';
import type { AccountService } from './accounts';
import type { PersonalDataCipher } from './personal-data';

/** Items one page deletes (40 BatchWriteItem calls of 25). */
export const ERASURE_PAGE_ITEMS = 1_000;
/** Pages one run deletes at most, whatever its time budget. */
export const ERASURE_MAX_PAGES_PER_RUN = 50;
/** Default time budget of one run; the cloud worker passes its remaining time less a margin. */
export const ERASURE_RUN_BUDGET_MS = 20_000;

/** What running a job needs (the cloud worker has only these grants). */
export interface ErasureRunDeps {
  billing: Pick<BillingStore, 'pseudonymize'>;
  audit: Pick<PrivacyAuditStore, 'record'>;
  erasure: ErasureStore;
  jobs: ErasureJobStore;
  /** Queues a job's next run (SQS in the cloud, in-process locally). */
  runner?: JobRunnerPort;
  now(): Date;
}

/** What starting a job needs besides. */
export interface ErasureJobDeps extends ErasureRunDeps {
  accounts: AccountService;
  accountsRepo: AccountsStore;
  keys: KeysStore;
  cipher: PersonalDataCipher;
  accountGraceDays: number;
}

/** What the API answers about a job. */
export type ErasureJobView = Pick<ErasureJob, 'jobId' | 'accountId' | 'status' | 'createdAt' | 'updatedAt' | 'counts' | 'pages'>;

export function jobView(job: ErasureJob): ErasureJobView {
  const { jobId, accountId, status, createdAt, updatedAt, counts, pages } = job;
  return { jobId, accountId, status, createdAt, updatedAt, counts, pages };
}

export class ErasureJobs {
  constructor(private readonly d: ErasureJobDeps) {}

  /** Marks the account erased, shreds its data key, deletes its keys, and queues the deletion job. */
  async start(accountId: string, actor: ErasureJob['actor'], options: { queue: boolean } = { queue: true }): Promise<ErasureJob> {
    const view = await this.d.accounts.getAccount(accountId);
    const keyIds = (await this.d.keys.listByAccount(accountId)).map((k) => k.keyId);
    const now = this.d.now();
    // First, so that no writer (usage records, outbox replays) adds anything after this point.
    await this.d.accountsRepo.markErased(accountId, view.closedAt, this.d.accountGraceDays, now);
    await this.d.erasure.fence(accountId);
    await this.d.cipher.shred(accountId);
    const keysDeleted = await this.d.keys.deleteByAccount(accountId);
    const job: ErasureJob = {
      jobId: `erase_${randomUUID()}`,
      accountId,
      status: 'running',
      actor,
      createdAt: now.toISOString(),
      updatedAt: now.toISOString(),
      counts: { keysDeleted, usageItemsDeleted: 0, supportItemsDeleted: 0, limitItemsDeleted: 0 },
      keyIds,
      pages: 0,
    };
    await this.d.jobs.put(job);
    if (options.queue) await this.d.runner?.enqueue(job.jobId);
    return job;
  }

  async get(jobId: string, accountId?: string): Promise<ErasureJob> {
    const job = await this.d.jobs.get(jobId);
    // A key holder sees only its own account's jobs; another's is as absent as a missing one.
    if (!job || (accountId !== undefined && job.accountId !== accountId))
      throw RouterError.notFound(`No erasure job ${jobId}.`, null, 'job_not_found');
    return job;
  }

  /** See {@link runErasureJob}. */
  run(jobId: string, budgetMs = ERASURE_RUN_BUDGET_MS): Promise<ErasureJob | undefined> {
    return runErasureJob(this.d, jobId, budgetMs);
  }

  /** Runs a job to completion in this process (the CLI, tests): bounded by its page count. */
  async runToEnd(jobId: string): Promise<ErasureJob> {
    for (let i = 0; i < 100_000; i++) {
      const job = await this.run(jobId, Number.POSITIVE_INFINITY);
      if (!job || job.status === 'done') return job ?? this.get(jobId);
    }
    return this.get(jobId);
  }
}

/**
 * Deletes pages until the job is done or `budgetMs` is spent (then queues the job again).
 * Safe to run twice on one job: deleting is idempotent and every page is checkpointed (counts
 * of pages deleted twice concurrently may be over-reported, never the data left behind).
 *
 * @example
 * await runErasureJob(deps, 'erase_…', context.getRemainingTimeInMillis() - 10_000);
 */
export async function runErasureJob(d: ErasureRunDeps, jobId: string, budgetMs = ERASURE_RUN_BUDGET_MS): Promise<ErasureJob | undefined> {
  const job = await d.jobs.get(jobId);
  if (!job || job.status === 'done') return job;
  const until = Date.now() + budgetMs;
  for (let i = 0; i < ERASURE_MAX_PAGES_PER_RUN; i++) {
    const page = await d.erasure.deletePage(job.accountId, job.keyIds, job.cursor, ERASURE_PAGE_ITEMS);
    for (const [k, v] of Object.entries(page.counts)) job.counts[k] = (job.counts[k] ?? 0) + v;
    job.cursor = page.next;
    job.pages++;
    job.updatedAt = d.now().toISOString();
    if (!page.next) return finishJob(d, job);
    await d.jobs.put(job);
    if (Date.now() >= until) break;
  }
  await d.runner?.enqueue(job.jobId);
  return job;
}

async function finishJob(d: ErasureRunDeps, job: ErasureJob): Promise<ErasureJob> {
  job.counts.statementsPseudonymized = await d.billing.pseudonymize(job.accountId);
  job.status = 'done';
  delete job.cursor;
  await d.jobs.put(job);
  await d.audit.record({
    accountId: job.accountId,
    action: 'erasure',
    actor: job.actor,
    at: job.updatedAt,
    outcome: 'done',
    counts: job.counts,
  });
  return job;
}
