/**
 * Which function touches which table, and how: the source of each function's IAM grants and
 * table environment variables. Wiring only; what the functions do with the tables lives in
 * `lambdas/`.
 */
import { TABLES, type TableDefinition, type TableId } from '../lambdas/store/tables';

/**
 * The router's Lambda functions: three behind the API for apps and operators, `privacy` behind the
 * key holder's own privacy routes, and two queue workers (`outbox`: metering replay; `erasure`:
 * erasure jobs).
 */
export type RouterFunctionName = 'chat' | 'api' | 'admin' | 'privacy' | 'outbox' | 'erasure';

/** Every router function, in the order they are created. */
export const ROUTER_FUNCTIONS: readonly RouterFunctionName[] = ['chat', 'api', 'admin', 'privacy', 'outbox', 'erasure'];

/** The functions behind the REST API (the others are queue workers). */
export const API_FUNCTIONS: readonly RouterFunctionName[] = ['chat', 'api', 'admin', 'privacy'];

/** Functions that queue metering to the outbox, and those that queue erasure jobs (SQS send grants). */
export const OUTBOX_SENDERS: readonly RouterFunctionName[] = ['chat'];
export const ERASURE_JOB_SENDERS: readonly RouterFunctionName[] = ['admin', 'privacy', 'erasure'];

/** Level of access to one table. */
export type TableAccess = 'read' | 'readWrite';

/** Table access per function (least privilege: a function not listed for a table gets nothing on it). */
export const TABLE_ACCESS: Readonly<Record<RouterFunctionName, Readonly<Partial<Record<TableId, TableAccess>>>>> = {
  // chat (chat completions, messages, embeddings) meters requests: usage records, budget and
  // rate-limit counters, and the caller's IP sealed with the account's data key (policy §2, §5).
  chat: { apiKeys: 'read', accounts: 'read', usage: 'readWrite', limits: 'readWrite', dataKeys: 'read' },
  // api answers reads only: models (with the region's offer health), usage, key and budget status.
  api: { apiKeys: 'read', accounts: 'read', usage: 'read', limits: 'read' },
  admin: Object.fromEntries(TABLES.map((t: TableDefinition) => [t.id, 'readWrite' as const])),
  // The key holder's rights (§6): export reads what is held; correction, restriction and objection
  // update the account; erasure marks it, shreds its data key, deletes its keys and queues the job
  // (kept in the audit table). No limits table, no provider secret, no Scan.
  privacy: {
    accounts: 'readWrite',
    apiKeys: 'readWrite',
    usage: 'read',
    billing: 'read',
    privacyAudit: 'readWrite',
    support: 'read',
    dataKeys: 'readWrite',
  },
  // Outbox replay: usage records (conditioned on the account not being erased) and budget settles.
  outbox: { accounts: 'read', usage: 'readWrite', limits: 'readWrite' },
  // Erasure job pages: deletes usage, support and limit partitions, pseudonymizes billing, checkpoints in the audit table.
  erasure: { usage: 'readWrite', support: 'readWrite', limits: 'readWrite', billing: 'readWrite', privacyAudit: 'readWrite' },
};

/**
 * Tables whose items are counters (rate-limit windows, budget reservations). Global tables
 * resolve concurrent writes in different regions by last-writer-wins, which would lose
 * increments; so every region reads and writes these in the home (primary) region, where
 * DynamoDB conditional writes serialize them. See docs/DEPLOY.md "Multi-region".
 */
export const HOME_REGION_TABLES: readonly TableId[] = ['limits'];

/** Item reads (no Scan: the request path only uses keys and indexes). */
export const DYNAMODB_READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
] as const;

/** Item writes (also what TransactWriteItems needs per item). */
export const DYNAMODB_WRITE_ACTIONS = [
  'dynamodb:PutItem',
  'dynamodb:UpdateItem',
  'dynamodb:DeleteItem',
  'dynamodb:BatchWriteItem',
] as const;

/** Functions that may Scan (privacy export/erasure and reports walk whole tables). */
export const SCAN_FUNCTIONS: readonly RouterFunctionName[] = ['admin'];

/** Functions that read the provider-credentials secret (api: to list only the models it can serve). */
export const SECRET_FUNCTIONS: readonly RouterFunctionName[] = ['chat', 'api'];

/**
 * KMS actions on per-account data keys (envelope encryption, crypto-shredding): the metering
 * functions only unwrap keys to seal IP addresses; only admin creates them (new accounts).
 */
export const DATA_KEY_ACTIONS: Readonly<Partial<Record<RouterFunctionName, readonly string[]>>> = {
  chat: ['kms:Decrypt'],
  admin: ['kms:GenerateDataKey', 'kms:Decrypt'],
  privacy: ['kms:Decrypt'],
};

/** Functions that call upstream models: Bedrock offers are invoked with their IAM role. */
export const BEDROCK_FUNCTIONS: readonly RouterFunctionName[] = ['chat'];
