/**
 * The per-process runtime: config, catalog, repositories and credentials, built once on the
 * first invocation (cold start) and reused. Everything the handlers need comes from here; what
 * only some functions use (privacy, support, erasure jobs) is built on first use.
 */
import { AccountService } from '../core/accounts';
import { Authenticator } from '../core/auth';
import { Catalog } from '../core/catalog';
import type { ChatDeps } from '../core/chat';
import { loadConfig, type RouterConfig } from '../core/config';
import { ErasureJobs } from '../core/erasure-job';
import { HealthMonitor } from '../core/health';
import { InProcessJobRunner } from '../core/job-runner';
import { LeasedLimits } from '../core/leased-limits';
import type { Logger } from '../core/log';
import { meteringLingerMs } from '../core/metering';
import { type OutboxReplayDeps, outboxReplayDeps } from '../core/outbox';
import { lazyKeyProvider, PersonalDataCipher } from '../core/personal-data';
import { PrivacyService } from '../core/privacy';
import { RefusalCounter } from '../core/refusals';
import { SupportService } from '../core/support';
import { lazy } from '../domain/lazy';
import type { OutboxPort } from '../domain/ports';
import { adapterFor } from '../providers/registry';
import { upstreamPost } from '../providers/transport';
import { AccountsRepo } from '../store/accounts-repo';
import { PrivacyAuditRepo } from '../store/audit-repo';
import { BillingRepo } from '../store/billing-repo';
import { DataKeysRepo } from '../store/data-keys-repo';
import { documentClient } from '../store/dynamo';
import { ErasureJobsRepo } from '../store/erasure-jobs-repo';
import { ErasureRepo } from '../store/erasure-repo';
import { HealthRepo } from '../store/health-repo';
import { SqsJobRunner } from '../store/job-queue-sqs';
import { KeysRepo } from '../store/keys-repo';
import { LeaseRepo } from '../store/lease-repo';
import { LimitsRepo } from '../store/limits-repo';
import { SpoolOutbox } from '../store/outbox-spool';
import { SqsOutbox, sqsClient } from '../store/outbox-sqs';
import { RefusalsRepo } from '../store/refusals-repo';
import { SupportRepo } from '../store/support-repo';
import { type TableNames, tableNamesFromEnv } from '../store/tables';
import { UsageRepo } from '../store/usage-repo';
import { breakerMetric, budgetAlertsFromEnv } from './alerts';
import { type Credentials, loadCredentials } from './credentials';
import { observability } from './observability';

export interface Runtime {
  config: RouterConfig;
  catalog: Catalog;
  tables: TableNames;
  credentials: Credentials;
  keys: KeysRepo;
  usage: UsageRepo;
  limits: LimitsRepo;
  /** Budgets and rate limits as the request pipelines enforce them: leases on the limits table's counters. */
  leases: LeasedLimits;
  accounts: AccountService;
  /** Refusals answered without a usage record, counted for the console and usage reports. */
  refusals: RefusalCounter;
  privacy: PrivacyService;
  support: SupportService;
  auth: Authenticator;
  /** Authentication for the key holder's privacy routes: a restricted account may still exercise its rights. */
  privacyAuth: Authenticator;
  chat: ChatDeps;
  /** Erasure jobs (§6): started by the API, run by the worker (cloud) or in the background (local). */
  erasureJobs: ErasureJobs;
  /** The local runner, when jobs run in this process (tests wait on it). */
  localJobs?: InProcessJobRunner;
  /** Where metering the store did not take goes; undefined when none is configured. */
  outbox?: OutboxPort;
  /** What an outbox replay needs. */
  outboxReplay: OutboxReplayDeps;
  log: Logger;
  /**
   * What a stopping instance does last, after its requests have ended: every budget slice it holds
   * goes back to the store (bounded; what it cannot return expires with its lease) and its pending
   * refusal counts are written.
   */
  close(): Promise<void>;
}

let current: Promise<Runtime> | undefined;

/** Builds a runtime from an environment (exported for tests and the local server). */
export async function createRuntime(env: NodeJS.ProcessEnv = process.env, log: Logger = observability().log): Promise<Runtime> {
  const config = loadConfig(env);
  const catalog = new Catalog(config);
  const tables = tableNamesFromEnv(env);
  const db = documentClient({}, env);
  const credentials = await loadCredentials(config, env);
  // Budget and rate-limit counters have one writer region, the home region (see store/limits-repo.ts).
  const homeDb = env.CTR_HOME_REGION && env.CTR_HOME_REGION !== env.AWS_REGION ? documentClient({ region: env.CTR_HOME_REGION }, env) : db;
  const keys = new KeysRepo(db, tables.apiKeys);
  // Answered requests close in time share their metering writes in a long-running server (core/metering.ts).
  const lingerMs = meteringLingerMs(env);
  const usage = new UsageRepo(db, tables.usage, config.retention.usageDays, tables.accounts, lingerMs);
  const cipher = new PersonalDataCipher(lazyKeyProvider(env), new DataKeysRepo(db, tables.dataKeys));
  const limits = new LimitsRepo(homeDb, tables.limits, config.retention.rateLimitSeconds);
  const leaseRepo = new LeaseRepo(homeDb, tables.limits, config.retention.rateLimitSeconds);
  const leases = new LeasedLimits({
    store: leaseRepo,
    status: (caller) => limits.budgetStatus(caller),
    lingerMs,
  });
  const accountsRepo = new AccountsRepo(db, tables.accounts);
  const billing = new BillingRepo(db, tables.billing, config.retention.billingDays);
  const refusalsRepo = new RefusalsRepo(db, tables.usage, tables.accounts, config.retention.usageDays);
  const accounts = new AccountService({
    accounts: accountsRepo,
    refusals: refusalsRepo,
    keys,
    usage,
    billing,
    limits,
    limitCopies: leaseRepo,
    cipher,
    accountGraceDays: config.retention.accountGraceDays,
    now: () => new Date(),
  });
  // Offer health is per region; its counts live in the limits table (home region, minutes by TTL).
  const { enabled: healthEnabled, ...healthPolicy } = config.health;
  const health = healthEnabled
    ? new HealthMonitor({
        region: env.AWS_REGION ?? 'local',
        store: new HealthRepo(homeDb, tables.limits, (healthPolicy.windowMinutes + 1) * 60),
        policy: healthPolicy,
        log,
        onBreaker: breakerMetric,
      })
    : undefined;
  const outbox = outboxFromEnv(env);
  // Only the privacy, admin and erasure functions use these: built on first use, not at every cold start.
  const audit = lazy(() => new PrivacyAuditRepo(db, tables.privacyAudit, config.retention.privacyAuditDays));
  const localJobs = env.CTR_ERASURE_QUEUE_URL ? undefined : new InProcessJobRunner(log);
  const erasureJobs = lazy(
    () =>
      new ErasureJobs({
        accounts,
        accountsRepo,
        keys,
        billing,
        audit: audit(),
        cipher,
        erasure: new ErasureRepo(db, homeDb, tables),
        jobs: new ErasureJobsRepo(db, tables.privacyAudit, config.retention.privacyAuditDays),
        runner: localJobs ?? new SqsJobRunner(sqsClient(), env.CTR_ERASURE_QUEUE_URL!),
        accountGraceDays: config.retention.accountGraceDays,
        now: () => new Date(),
      }),
  );
  localJobs?.bind((jobId) => erasureJobs().run(jobId));
  const outboxReplay = outboxReplayDeps({ usage, limits, accounts: accountsRepo, log });

  const chat: ChatDeps = {
    catalog,
    usableProviders: credentials.usable,
    allowedJurisdictions: config.allowedJurisdictions,
    allowedOfferRegions: config.allowedOfferRegions,
    adapterFor,
    apiKeyFor: credentials.apiKeyFor,
    fetch: upstreamPost,
    recordUsage: (e, options) => usage.record(e, options),
    written: () => usage.idle(),
    outbox,
    afterSettle: budgetAlertsFromEnv(
      env,
      { db: homeDb, limitsTable: tables.limits, limits },
      log,
      config.deployment.budgetAlerts.thresholdsPercent,
    ),
    sealForAccount: (accountId, value) => cipher.seal(accountId, value),
    limits: leases,
    health,
    log,
    now: () => new Date(),
  };
  const support = lazy(() => new SupportService(new SupportRepo(db, tables.support, config.retention.supportResolvedDays), cipher));
  const privacy = lazy(
    () =>
      new PrivacyService({
        support: support(),
        accounts,
        accountsRepo,
        keys,
        usage,
        billing,
        audit: audit(),
        cipher,
        jobs: erasureJobs(),
        accountGraceDays: config.retention.accountGraceDays,
        now: () => new Date(),
      }),
  );
  const privacyAuth = lazy(() => new Authenticator((secret) => accounts.resolveCaller(secret, { allowRestricted: true })));
  const refusals = new RefusalCounter(refusalsRepo, log);
  return {
    config,
    catalog,
    tables,
    credentials,
    keys,
    usage,
    limits,
    leases,
    accounts,
    refusals,
    get privacy() {
      return privacy();
    },
    get support() {
      return support();
    },
    auth: new Authenticator((secret) => accounts.resolveCaller(secret)),
    get privacyAuth() {
      return privacyAuth();
    },
    chat,
    get erasureJobs() {
      return erasureJobs();
    },
    localJobs,
    outbox,
    outboxReplay,
    log,
    close: async () => {
      await Promise.all([leases.releaseAll(), refusals.flush()]);
    },
  };
}

/** The outbox of this environment: SQS in the cloud (`CTR_OUTBOX_QUEUE_URL`), a spool file locally (`CTR_OUTBOX_SPOOL`). */
export function outboxFromEnv(env: NodeJS.ProcessEnv): OutboxPort | undefined {
  if (env.CTR_OUTBOX_QUEUE_URL) return new SqsOutbox(sqsClient(), env.CTR_OUTBOX_QUEUE_URL);
  if (env.CTR_OUTBOX_SPOOL) return new SpoolOutbox(env.CTR_OUTBOX_SPOOL);
  return undefined;
}

/** The process's runtime, created on first use. */
export function runtime(): Promise<Runtime> {
  current ??= createRuntime().catch((err) => {
    current = undefined;
    throw err;
  });
  return current;
}

/** Replaces the process's runtime (the local server builds its own with a captured logger). */
export function setRuntime(r: Promise<Runtime>): void {
  current = r;
}
