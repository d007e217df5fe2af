/**
 * The per-process runtime: config, catalog, repositories and credentials, built once on the
 * first invocation (cold start) and reused. Everything the handlers need comes from here.
 */
import { AccountService } from '../core/accounts';
import { Authenticator } from '../core/auth';
import { Catalog } from '../core/catalog';
import type { ChatDeps } from '../core/chat';
import { loadConfig, type RouterConfig } from '../core/config';
import type { Logger } from '../core/log';
import { observability } from './observability';
import { keyProviderFromEnv, PersonalDataCipher } from '../core/personal-data';
import { PrivacyService } from '../core/privacy';
import { SupportService } from '../core/support';
import { adapterFor } from '../providers/registry';
import { AccountsRepo } from '../store/accounts-repo';
import { PrivacyAuditRepo } from '../store/audit-repo';
import { SupportRepo } from '../store/support-repo';
import { BillingRepo } from '../store/billing-repo';
import { DataKeysRepo } from '../store/data-keys-repo';
import { ErasureRepo } from '../store/erasure-repo';
import { documentClient } from '../store/dynamo';
import { KeysRepo } from '../store/keys-repo';
import { LimitsRepo } from '../store/limits-repo';
import { tableNamesFromEnv, type TableNames } from '../store/tables';
import { UsageRepo } from '../store/usage-repo';
import { loadCredentials, type Credentials } from './credentials';

export interface Runtime {
  config: RouterConfig;
  catalog: Catalog;
  tables: TableNames;
  credentials: Credentials;
  keys: KeysRepo;
  usage: UsageRepo;
  limits: LimitsRepo;
  accounts: AccountService;
  privacy: PrivacyService;
  support: SupportService;
  auth: Authenticator;
  /** Authentication for the key holder's privacy routes: a restricted account may still exercise its rights. */
  privacyAuth: Authenticator;
  chat: ChatDeps;
  log: Logger;
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
  const usage = new UsageRepo(db, tables.usage, config.retention.usageDays, tables.accounts);
  const cipher = new PersonalDataCipher(keyProviderFromEnv(env), new DataKeysRepo(db, tables.dataKeys));
  const limits = new LimitsRepo(homeDb, tables.limits, config.retention.rateLimitSeconds);
  const accountsRepo = new AccountsRepo(db, tables.accounts);
  const billing = new BillingRepo(db, tables.billing, config.retention.billingDays);
  const accounts = new AccountService({
    accounts: accountsRepo,
    keys,
    usage,
    billing,
    limits,
    cipher,
    accountGraceDays: config.retention.accountGraceDays,
    now: () => new Date(),
  });
  const chat: ChatDeps = {
    catalog,
    usableProviders: credentials.usable,
    allowedJurisdictions: config.allowedJurisdictions,
    allowedOfferRegions: config.allowedOfferRegions,
    adapterFor,
    apiKeyFor: credentials.apiKeyFor,
    fetch: globalThis.fetch,
    recordUsage: (e, options) => usage.record(e, options),
    sealForAccount: (accountId, value) => cipher.seal(accountId, value),
    limits,
    log,
    now: () => new Date(),
  };
  const support = new SupportService(new SupportRepo(db, tables.support, config.retention.supportResolvedDays), cipher);
  const privacy = new PrivacyService({
    support,
    accounts,
    accountsRepo,
    keys,
    usage,
    billing,
    audit: new PrivacyAuditRepo(db, tables.privacyAudit, config.retention.privacyAuditDays),
    cipher,
    erasure: new ErasureRepo(db, homeDb, tables),
    accountGraceDays: config.retention.accountGraceDays,
    now: () => new Date(),
  });
  return { config, catalog, tables, credentials, keys, usage, limits, accounts, privacy, support, auth: new Authenticator((secret) => accounts.resolveCaller(secret)),
    privacyAuth: new Authenticator((secret) => accounts.resolveCaller(secret, { allowRestricted: true })),
    chat,
    log,
  };
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
