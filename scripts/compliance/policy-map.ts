/**
 * The policy map: every commitment of the product's privacy policy (cited by section, §2 … §8) that the software keeps, with the template checks, code and tests that keep
 * and prove it. Data only; `evaluate.ts` checks it and `render.ts` writes the report.
 *
 * To add evidence, add a row here. A code ref names an exported symbol (or `Class#member`); a test
 * ref names the exact title of an `it(…)`. The generator fails if either cannot be found.
 */
import type { POLICY_MAX_DAYS, RouterConfig } from '../../lambdas/core/config';
import type { RetentionClass } from '../../lambdas/store/tables';
import type { OutOfScope, PolicyCommitment } from './types';

/** How each retention class of TABLES maps to the config and to the policy (§8). */
export const RETENTION_CLASSES: Readonly<
  Record<
    RetentionClass,
    {
      readonly configKey: keyof RouterConfig['retention'];
      readonly unit: 'days' | 'seconds';
      /** What the policy allows, in words. */
      readonly policy: string;
      /** Key of POLICY_MAX_DAYS when the policy states a maximum. */
      readonly policyMaxKey?: keyof typeof POLICY_MAX_DAYS;
    }
  >
> = {
  account: { configKey: 'accountGraceDays', unit: 'days', policy: 'while the account is active; this grace period after closure' },
  usage: { configKey: 'usageDays', unit: 'days', policy: 'at most 2 years', policyMaxKey: 'usage' },
  billing: { configKey: 'billingDays', unit: 'days', policy: 'at most 7 years (tax)', policyMaxKey: 'billing' },
  support: { configKey: 'supportResolvedDays', unit: 'days', policy: 'until resolved; this many days after resolution' },
  rateLimit: { configKey: 'rateLimitSeconds', unit: 'seconds', policy: 'operational counters, not a class of the policy; minutes' },
  privacyAudit: {
    configKey: 'privacyAuditDays',
    unit: 'days',
    policy: 'record of handled §6 requests, not a class of the policy; no longer than billing records',
    policyMaxKey: 'billing',
  },
};

const CHAT_TEST = 'test/integration/chat.test.ts';
const BUFFERED_TITLE = 'buffered: routes to the cheapest offer and meters exactly what the upstream reported';
const PRIVACY_TEST = 'test/integration/privacy.test.ts';
const DATA_LAYER_TEST = 'test/infra/data-layer.test.ts';
const ROUTER_TEST = 'test/infra/router.test.ts';
const CANARY_PROCESSES_TEST = 'test/integration/canary-processes.test.ts';
const RETENTION_READS_TEST = 'test/integration/retention-reads.test.ts';
const TABLE_ITEMS_TEST = 'test/integration/table-items.test.ts';
const ALLOW_LIST_TITLE = 'every attribute of every item is on its table allow-list, with a value that cannot hold content';
const WRITER_TTL_TITLE = "every writer sets its item's expiry to its retention class's period, counted from the clock";
const TABLE_TITLES = {
  ttl: 'has its keys, indexes, TTL attribute, on-demand billing and retain policy',
  replicas: 'has replicas in exactly the configured regions, each with PITR, deletion protection and its regional CMK',
};

export const POLICY_MAP: readonly PolicyCommitment[] = [
  {
    id: '§2 content data: prompts and completions are never stored or logged',
    section: '§2',
    commitment:
      'The text of a request (prompt, tool arguments, images) and of a response is passed through to the provider and back, and never written to a table, a log line, an error message or the API Gateway logs.',
    templateChecks: [{ check: 'apigw.accessLogFormat' }, { check: 'apigw.dataTrace' }],
    code: [
      {
        file: 'lambdas/core/log.ts',
        symbol: 'jsonLogger',
        role: 'the only logger: an allow-list of id, count and timing fields, with no field for content',
      },
      {
        file: 'lambdas/domain/chat-request.ts',
        symbol: 'validate',
        role: 'validation errors name the parameter and the rule, never the value',
      },
      { file: 'lambdas/store/tables.ts', symbol: 'TABLES', role: 'every table and what it holds; none has an attribute for content' },
      { file: 'lib/router-api.ts', symbol: 'ACCESS_LOG_FIELDS', role: 'the access-log format: request metadata only' },
    ],
    tests: [
      { file: CHAT_TEST, title: 'the canary prompt is in no DynamoDB item and in no log line' },
      { file: 'test/unit/chat-schema.test.ts', title: 'never quotes request content in the error message' },
      { file: 'test/integration/canary.test.ts', title: 'a canary sent through every route is in no table and no log line' },
      { file: CANARY_PROCESSES_TEST, title: 'the local server (npm start) writes no canary to stdout or stderr' },
      { file: CANARY_PROCESSES_TEST, title: 'the Lambda bundles write no canary to stdout or stderr (what CloudWatch Logs would receive)' },
      {
        file: CANARY_PROCESSES_TEST,
        title: 'after shutdown, no file the local server wrote holds a canary, the DynamoDB Local database included',
      },
      {
        file: 'test/unit/validation-canary-property.test.ts',
        title: 'a marker anywhere in a rejected chat request is never in the error returned',
      },
      { file: TABLE_ITEMS_TEST, title: ALLOW_LIST_TITLE },
      { file: ROUTER_TEST, title: 'access logs are JSON with request metadata only: no body, payload, header or authorization field' },
    ],
  },
  {
    id: '§2 usage data: what is collected per request',
    section: '§2',
    commitment:
      "Per request that reached a provider, one usage record: account, key id, models, provider, token counts, cost, latency, status, time, and the caller's IP address sealed with the account's data key. Nothing else of the request is kept.",
    templateChecks: [{ check: 'dynamodb.tables', args: { tables: ['usage'] } }],
    code: [
      { file: 'lambdas/domain/usage.ts', symbol: 'UsageEvent', role: 'the fields of a usage record, exhaustively' },
      {
        file: 'lambdas/store/usage-repo.ts',
        symbol: 'UsageRepo',
        role: 'writes one record per request (idempotent) and the daily aggregate',
      },
    ],
    tests: [
      { file: CHAT_TEST, title: BUFFERED_TITLE },
      { file: TABLE_ITEMS_TEST, title: ALLOW_LIST_TITLE },
    ],
  },
  {
    id: '§5 encryption at rest and in transit',
    section: '§5',
    commitment:
      'Every table, replica, secret and log group is encrypted with a customer-managed, rotating KMS key held in the deploying account (a replica key per region). Personal fields are additionally sealed with a per-account data key. The API is served over HTTPS only.',
    templateChecks: [
      { check: 'kms.primaryKey' },
      { check: 'kms.replicaKeys' },
      { check: 'dynamodb.sse' },
      { check: 'secretsmanager.kms' },
      { check: 'logs.kms' },
      { check: 'apigw.https' },
      { check: 'config.providersHttps' },
    ],
    code: [
      { file: 'lib/data-key.ts', symbol: 'DataKey', role: 'the multi-Region KMS key (rotation on) and its regional replicas' },
      {
        file: 'lib/router-data.ts',
        symbol: 'RouterData',
        role: 'tables and the provider secret, encrypted with the data key and its replica keys',
      },
      { file: 'lib/cheap-token-router.ts', symbol: 'CheapTokenRouter', role: 'encrypted log groups, functions and API per region' },
      {
        file: 'lambdas/core/personal-data.ts',
        symbol: 'PersonalDataCipher',
        role: "seals email, company and IP address with the account's data key (AES-256-GCM)",
      },
      {
        file: 'lambdas/core/personal-data.ts',
        symbol: 'KmsKeyProvider',
        role: 'generates and unwraps per-account data keys under the KMS key, account id as encryption context',
      },
    ],
    tests: [
      { file: DATA_LAYER_TEST, title: 'is one multi-Region primary key with rotation in the primary region, retained' },
      { file: DATA_LAYER_TEST, title: 'has a replica key with an alias in every replica region, and nothing in the others' },
      { file: DATA_LAYER_TEST, title: TABLE_TITLES.ttl },
      { file: DATA_LAYER_TEST, title: TABLE_TITLES.replicas },
      { file: DATA_LAYER_TEST, title: 'is encrypted with the data key and replicated to every replica region with its replica key' },
      { file: ROUTER_TEST, title: 'every log group in every stack has a retention and a KMS key' },
      { file: 'test/unit/personal-data.test.ts', title: 'wraps data keys with KMS under the account encryption context' },
      { file: 'test/unit/personal-data.test.ts', title: 'binds ciphertext to its account: another account cannot open it' },
    ],
  },
  {
    id: '§5 access controls and authentication',
    section: '§5',
    commitment:
      'Apps authenticate with API keys stored only as hashes; admin and privacy operations need IAM (SigV4). Each function may touch only the tables, secret and key operations it needs; no IAM statement grants every resource.',
    templateChecks: [{ check: 'apigw.authorization' }, { check: 'iam.noWildcardResource' }],
    code: [
      { file: 'lambdas/store/keys-repo.ts', symbol: 'hashKey', role: 'API keys are stored as a SHA-256 hash, never in clear' },
      { file: 'lib/table-access.ts', symbol: 'TABLE_ACCESS', role: 'which function may read or write which table (least privilege)' },
      {
        file: 'lib/cheap-token-router.ts',
        symbol: 'CheapTokenRouter',
        role: 'one role per function with exactly those grants; /admin authorized by IAM',
      },
    ],
    tests: [
      { file: ROUTER_TEST, title: 'authorizes admin routes with IAM and app routes in the function (no authorizer)' },
      { file: ROUTER_TEST, title: 'no IAM statement in any stack has Resource "*" or a wildcard action' },
      {
        file: ROUTER_TEST,
        title:
          'gives the provider secret to chat and api only; only admin creates data keys, chat and privacy only unwrap them, always with the account context',
      },
      { file: ROUTER_TEST, title: 'each function can build its runtime from exactly the environment the template gives it' },
      { file: 'test/unit/auth.test.ts', title: 'a revoked key stops working within the cache TTL (the documented revocation bound)' },
    ],
  },
  {
    id: '§5 security assessment: cdk-nag AwsSolutions',
    section: '§5',
    commitment:
      'Every synthesis runs the AwsSolutions rule pack over all stacks; no finding is left open, and each acknowledged rule states why in one file.',
    templateChecks: [],
    code: [
      {
        file: 'lib/nag-suppressions.ts',
        symbol: 'acknowledgeRouterFindings',
        role: 'acknowledgements for a regional router, each with its reason',
      },
      {
        file: 'lib/nag-suppressions.ts',
        symbol: 'acknowledgeDataFindings',
        role: 'acknowledgements for the data layer, each with its reason',
      },
    ],
    tests: [
      { file: 'test/infra/nag.test.ts', title: 'reports zero unacknowledged findings (errors and warnings)' },
      { file: 'test/infra/nag.test.ts', title: 'every acknowledgement has a real reason and is made in lib/nag-suppressions.ts' },
    ],
    nag: true,
  },
  {
    id: '§6 access and portability',
    section: '§6',
    commitment:
      'An account holder or operator can get everything held about an account (profile, key metadata, usage, billing) as one machine-readable export.',
    templateChecks: [{ check: 'apigw.authorization' }],
    code: [{ file: 'lambdas/core/privacy.ts', symbol: 'PrivacyService#exportAccount', role: 'assembles the export' }],
    tests: [{ file: PRIVACY_TEST, title: 'export is machine-readable and holds everything about the account' }],
  },
  {
    id: '§6 correction',
    section: '§6',
    commitment:
      'Profile fields of an account (email, company) can be corrected through the CLI and the admin API; the corrected values are sealed again.',
    templateChecks: [],
    code: [
      {
        file: 'lambdas/core/privacy.ts',
        symbol: 'PrivacyService#correct',
        role: 'accepts only the personal fields, applies and audits the correction',
      },
      { file: 'lambdas/core/accounts.ts', symbol: 'AccountService#updateAccount', role: 'validates the fields and stores them sealed' },
    ],
    tests: [{ file: PRIVACY_TEST, title: 'correction updates the personal fields, sealed again' }],
  },
  {
    id: '§6 erasure',
    section: '§6',
    commitment:
      "Erasure deletes everything about an account that no legal duty requires keeping, pseudonymizes the billing lines kept for tax (§8), and destroys the account's data key so copies in replicas and backups become unreadable.",
    templateChecks: [{ check: 'dynamodb.pitr' }],
    code: [
      { file: 'lambdas/core/privacy.ts', symbol: 'PrivacyService#erase', role: 'deletes, pseudonymizes and crypto-shreds' },
      {
        file: 'lambdas/store/billing-repo.ts',
        symbol: 'BillingRepo#pseudonymize',
        role: 'replaces the account identity in retained billing statements',
      },
      {
        file: 'lambdas/core/personal-data.ts',
        symbol: 'PersonalDataCipher#shred',
        role: "destroys the account's wrapped data key (crypto-shredding)",
      },
      {
        file: 'lambdas/store/data-keys-repo.ts',
        symbol: 'DataKeysRepo',
        role: 'holds the wrapped data keys, in a table without point-in-time backups',
      },
    ],
    tests: [
      { file: PRIVACY_TEST, title: 'erasure leaves nothing readable but pseudonymized billing lines' },
      { file: 'test/unit/personal-data.test.ts', title: 'after the data key is destroyed, sealed copies anywhere are unreadable' },
    ],
    notes: [
      'Point-in-time recovery keeps copies of deleted items for up to its recovery window (35 days, see the PITR rows). Erasure reaches those copies by crypto-shredding: the personal fields in them are sealed with a data key that no longer exists.',
      'A table whose definition in TABLES turns point-in-time recovery off (the table of wrapped data keys) has none, and the PITR rows check that too: a backup of a destroyed key would undo the shredding.',
    ],
  },
  {
    id: '§6 restriction and objection',
    section: '§6',
    commitment:
      'An account can be restricted (its keys are refused) or object to processing (it is left out of analytics aggregates); the code honours both flags.',
    templateChecks: [],
    code: [
      { file: 'lambdas/core/privacy.ts', symbol: 'PrivacyService#restrict', role: 'sets the restriction flag' },
      { file: 'lambdas/core/privacy.ts', symbol: 'PrivacyService#object', role: 'sets the objection flag' },
      { file: 'lambdas/domain/records.ts', symbol: 'AccountFlags', role: 'the flags stored with the account' },
    ],
    tests: [
      { file: PRIVACY_TEST, title: 'restriction refuses the account keys and objection excludes it from analytics' },
      { file: 'test/integration/limits.test.ts', title: 'suspended and restricted accounts are refused with 403' },
    ],
  },
  {
    id: '§6 every request is audited',
    section: '§6',
    commitment: 'Each data-subject request is recorded (what, when, by whom, outcome) in an audit table, without personal content.',
    templateChecks: [
      { check: 'dynamodb.tables', args: { tables: ['privacyAudit'] } },
      { check: 'config.retention', args: { retention: ['privacyAudit'] } },
    ],
    code: [{ file: 'lambdas/store/audit-repo.ts', symbol: 'PrivacyAuditRepo', role: 'writes audit records (ids and outcomes only)' }],
    tests: [{ file: PRIVACY_TEST, title: 'every privacy request is audited without personal content' }],
  },
  {
    id: '§7 international transfers: data stays in the configured regions',
    section: '§7',
    commitment:
      'Data is stored only in the regions the operator configures (primary and replicas). When the operator restricts them, requests go only to providers in the allowed jurisdictions and to offers served from the allowed regions.',
    templateChecks: [
      { check: 'stacks.regions' },
      { check: 'dynamodb.replicaRegions' },
      { check: 'secretsmanager.replicaRegions' },
      { check: 'lambda.homeRegion' },
      { check: 'config.jurisdictions' },
    ],
    code: [
      {
        file: 'lambdas/core/routing.ts',
        symbol: 'planRoute',
        role: 'drops offers outside the allowed jurisdictions and offer regions, including pinned and fallback models',
      },
      { file: 'lambdas/core/config.ts', symbol: 'routerConfigSchema', role: 'regions, allowed jurisdictions and offer regions, validated' },
      {
        file: 'lib/cheap-token-router-stacks.ts',
        symbol: 'addCheapTokenRouterStacks',
        role: 'creates stacks in the configured regions only',
      },
    ],
    tests: [
      { file: 'test/unit/routing.test.ts', title: 'applies only / ignore / data_collection / jurisdiction / usable providers' },
      { file: 'test/unit/routing.test.ts', title: 'never routes to an offer outside the allowed regions' },
      { file: ROUTER_TEST, title: 'exist in the primary region and every replica region' },
      { file: DATA_LAYER_TEST, title: TABLE_TITLES.replicas },
      {
        file: ROUTER_TEST,
        title: 'in every replica region, functions reach the limits table and its key in the home region; other tables stay local',
      },
    ],
  },
  {
    id: '§8 account information: kept while the account is active',
    section: '§8',
    commitment:
      'Account data and API keys have no expiry while the account is open; closing it sets an expiry (the configured grace period) on the account and its keys.',
    templateChecks: [
      { check: 'config.retention', args: { retention: ['account'] } },
      { check: 'dynamodb.ttl', args: { retention: ['account'] } },
    ],
    code: [
      {
        file: 'lambdas/store/accounts-repo.ts',
        symbol: 'AccountsRepo#close',
        role: "sets the account's expiry on closure",
        uses: 'ttlAfterDays(',
      },
      {
        file: 'lambdas/store/keys-repo.ts',
        symbol: 'KeysRepo#expireByAccount',
        role: 'sets the same expiry on every key of the account',
        uses: 'expiresAt',
      },
      {
        file: 'lambdas/core/accounts.ts',
        symbol: 'AccountService#closeAccount',
        role: 'closes with the configured grace period',
        uses: 'accountGraceDays',
      },
    ],
    tests: [
      { file: PRIVACY_TEST, title: 'closing an account keeps it for the grace period, then its keys, profile and data key expire' },
      { file: TABLE_ITEMS_TEST, title: WRITER_TTL_TITLE },
      { file: RETENTION_READS_TEST, title: 'accounts: get and list skip an account past its grace period' },
    ],
  },
  {
    id: '§8 usage data ≤ 2 years',
    section: '§8',
    commitment:
      'Every usage record and daily aggregate carries an expiry at most the configured usage period (≤ 730 days) after the request.',
    templateChecks: [
      { check: 'config.retention', args: { retention: ['usage'] } },
      { check: 'dynamodb.ttl', args: { retention: ['usage'] } },
      { check: 'logs.retention' },
    ],
    code: [
      {
        file: 'lambdas/store/usage-repo.ts',
        symbol: 'UsageRepo#record',
        role: 'sets expiresAt on the event and the aggregate',
        uses: 'ttlAfterDays(',
      },
    ],
    tests: [
      { file: TABLE_ITEMS_TEST, title: WRITER_TTL_TITLE },
      {
        file: RETENTION_READS_TEST,
        title: 'usage: events, daily aggregates and service statistics skip records past the retention period',
      },
      { file: 'test/unit/config.test.ts', title: 'rejects retention beyond the privacy policy maxima' },
      { file: 'test/infra/config-validation.test.ts', title: 'rejects usage retention beyond the policy maximum (2 years)' },
      { file: ROUTER_TEST, title: 'refuses a log retention longer than the usage-data retention' },
    ],
    notes: ['Log groups hold request metadata (source IP in access logs), so their retention may not exceed the usage period either.'],
  },
  {
    id: '§8 billing information ≤ 7 years',
    section: '§8',
    commitment: 'Billing statements expire at most the configured billing period (≤ 2557 days) after the end of their month.',
    templateChecks: [
      { check: 'config.retention', args: { retention: ['billing'] } },
      { check: 'dynamodb.ttl', args: { retention: ['billing'] } },
    ],
    code: [
      {
        file: 'lambdas/store/billing-repo.ts',
        symbol: 'BillingRepo#put',
        role: 'sets expiresAt from the month end',
        uses: 'ttlAfterDays(',
      },
    ],
    tests: [
      { file: TABLE_ITEMS_TEST, title: WRITER_TTL_TITLE },
      { file: RETENTION_READS_TEST, title: 'billing: get and list skip statements past the retention period' },
      { file: 'test/unit/config.test.ts', title: 'rejects retention beyond the privacy policy maxima' },
      { file: 'test/infra/config-validation.test.ts', title: 'rejects billing retention beyond the policy maximum (7 years)' },
    ],
  },
  {
    id: '§8 support communications: until resolved',
    section: '§8',
    commitment: 'Support communications expire a short configured period after the matter is resolved.',
    templateChecks: [
      { check: 'config.retention', args: { retention: ['support'] } },
      { check: 'dynamodb.ttl', args: { retention: ['support'] } },
    ],
    code: [
      { file: 'lambdas/core/config.ts', symbol: 'routerConfigSchema', role: 'bounds retention.supportResolvedDays' },
      {
        file: 'lambdas/store/support-repo.ts',
        symbol: 'SupportRepo#resolve',
        role: 'sets expiresAt when a matter is resolved; open tickets have none',
      },
      {
        file: 'lambdas/core/support.ts',
        symbol: 'SupportService',
        role: 'seals message texts with the account data key, so erasure reaches them',
      },
    ],
    tests: [
      { file: 'test/integration/support.test.ts', title: 'kept sealed while open; resolving sets the retention TTL; erasure deletes them' },
      { file: TABLE_ITEMS_TEST, title: WRITER_TTL_TITLE },
      { file: RETENTION_READS_TEST, title: 'support: get and list skip tickets resolved longer ago than the retention period' },
    ],
  },
  {
    id: '§8 expiry is enforced: TTL on every table, expired means gone, backups bounded',
    section: '§8',
    commitment:
      'Every table has the TTL attribute and is labelled with its retention class; reads treat an item past its expiry as absent (DynamoDB deletes expired items late); rate-limit state expires within minutes; backups are bounded by the PITR window.',
    templateChecks: [
      { check: 'dynamodb.ttl' },
      { check: 'dynamodb.retentionClassTag' },
      { check: 'config.retention' },
      { check: 'dynamodb.pitr' },
      { check: 'dynamodb.deletionProtection' },
    ],
    code: [
      { file: 'lambdas/store/tables.ts', symbol: 'TTL_ATTRIBUTE', role: 'the one TTL attribute of every table' },
      { file: 'lambdas/store/dynamo.ts', symbol: 'isExpired', role: 'reads treat expired-but-not-yet-deleted items as gone' },
      { file: 'lambdas/store/dynamo.ts', symbol: 'ttlAfterDays', role: 'the expiry every writer computes' },
      {
        file: 'lambdas/store/limits-repo.ts',
        symbol: 'LimitsRepo',
        role: 'rate-limit windows and reservations expire within minutes',
        uses: 'expiresAt',
      },
      { file: 'lambdas/core/config.ts', symbol: 'POLICY_MAX_DAYS', role: 'the policy maxima the config is validated against' },
    ],
    tests: [
      { file: DATA_LAYER_TEST, title: TABLE_TITLES.ttl },
      { file: TABLE_ITEMS_TEST, title: WRITER_TTL_TITLE },
      { file: 'test/integration/limits.test.ts', title: 'a crashed request’s reservation expires by itself' },
      { file: 'test/unit/config.test.ts', title: 'rejects retention beyond the privacy policy maxima' },
      { file: RETENTION_READS_TEST, title: 'accounts: get and list skip an account past its grace period' },
      { file: RETENTION_READS_TEST, title: 'API keys: lookup by secret, by id and by account skip expired keys' },
      {
        file: RETENTION_READS_TEST,
        title: 'usage: events, daily aggregates and service statistics skip records past the retention period',
      },
      { file: RETENTION_READS_TEST, title: 'billing: get and list skip statements past the retention period' },
      { file: RETENTION_READS_TEST, title: 'support: get and list skip tickets resolved longer ago than the retention period' },
      { file: RETENTION_READS_TEST, title: 'privacy audit: list skips entries past the retention period' },
      { file: RETENTION_READS_TEST, title: 'data keys: a data key scheduled for deletion is unreadable once its TTL passed' },
    ],
    notes: [
      'DynamoDB deletes expired items in the background, usually within days; until then the repositories filter them out on every read.',
      'Point-in-time recovery can restore a table as it was up to 35 days ago, so a deleted or expired item may persist in backups that long. Personal fields in such copies are sealed with per-account data keys; erasure destroys the key (crypto-shredding), which reaches backups too.',
      'Deletion protection and the Retain policy keep tables when a stack is deleted: removing data is a deliberate act, never a side effect of a deploy.',
    ],
  },
];

/** Parts of the policy that software does not keep (organizational, or about the website). */
export const OUT_OF_SCOPE: readonly OutOfScope[] = [
  { section: '§1', reason: 'introduction; no commitment of its own' },
  { section: '§3', reason: 'purposes of use; the software only does what §2 and §8 describe' },
  { section: '§4', reason: 'sharing with third parties and on legal request: organizational (routing to providers is covered by §7)' },
  { section: '§5 audits, training', reason: 'organizational measures beyond the automated cdk-nag assessment' },
  { section: '§6 contact form', reason: 'how requests reach the operator; the software executes them' },
  { section: '§9', reason: 'children: organizational; the software collects no age' },
  { section: '§10, §11', reason: 'policy updates and contact details: organizational' },
];
