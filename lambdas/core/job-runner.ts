/**
 * The local job runner: an erasure job's runs happen in this process, in the background, one
 * after another (the same `ErasureJobs.run` the cloud worker calls from its SQS queue).
 */

import type { JobRunnerPort } from '../domain/ports';
import type { Logger } from './log';

export class InProcessJobRunner implements JobRunnerPort {
  private chain: Promise<void> = Promise.resolve();
  private run?: (jobId: string) => Promise<unknown>;

  constructor(private readonly log: Logger) {}

  /** Connects the runner to what it runs (the job service needs the runner, and vice versa). */
  bind(run: (jobId: string) => Promise<unknown>): void {
    this.run = run;
  }

  async enqueue(jobId: string): Promise<void> {
    this.chain = this.chain.then(async () => {
      // Yield first, so the request that queued the job is answered before the job starts.
      await new Promise((r) => setImmediate(r));
      await this.run?.(jobId).catch((err: Error) => this.log.log('error', 'erasure job run failed', { errorName: err.name }));
    });
  }

  /** Resolves when every queued run has finished (tests, shutdown). */
  idle(): Promise<void> {
    return this.chain;
  }
}
