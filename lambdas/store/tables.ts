/**
 * Table definitions: the one description of every DynamoDB table, used by the CDK stacks
 * (to provision them) and by local mode (to create them in DynamoDB Local).
 *
 * One table per data class of the privacy policy (§2), each with its retention class (§8).
 * Every table has the TTL attribute `expiresAt` (epoch seconds); the code that writes an
 * item with a retention limit sets it.
 */

/** The TTL attribute on every table (epoch seconds). */
export const TTL_ATTRIBUTE = 'expiresAt';

/** Retention classes of the privacy policy (§8). */
export type RetentionClass = 'account' | 'usage' | 'billing' | 'rateLimit' | 'privacyAudit' | 'support';

export interface KeyDefinition {
  readonly name: string;
  readonly type: 'S' | 'N';
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyDefinition;
  readonly sortKey?: KeyDefinition;
}

export interface TableDefinition {
  /** Logical id, also the suffix of the table name and of its env var (`CTR_TABLE_<ID>`). */
  readonly id: TableId;
  readonly description: string;
  readonly retention: RetentionClass;
  /** Privacy policy sections whose data this table holds. */
  readonly policySections: readonly string[];
  readonly partitionKey: KeyDefinition;
  readonly sortKey?: KeyDefinition;
  readonly indexes: readonly IndexDefinition[];
  /**
   * Point-in-time recovery (35-day continuous backups). On for every table except the one that
   * holds wrapped per-account data keys: a backup of a destroyed key would undo crypto-shredding.
   */
  readonly pointInTimeRecovery: boolean;
}

export type TableId = 'accounts' | 'apiKeys' | 'usage' | 'billing' | 'limits' | 'privacyAudit' | 'support' | 'dataKeys';

const S = (name: string): KeyDefinition => ({ name, type: 'S' });

/** Every table of the product. */
export const TABLES: readonly TableDefinition[] = [
  {
    id: 'accounts',
    description: 'Accounts: profile (personal fields encrypted per account), status, limits',
    retention: 'account',
    policySections: ['§2 Account Information', '§8'],
    partitionKey: S('pk'),
    indexes: [],
    pointInTimeRecovery: true,
  },
  {
    id: 'apiKeys',
    description: 'API keys: SHA-256 hash of the secret, account, name, display prefix, status',
    retention: 'account',
    policySections: ['§2 Account Information', '§5'],
    partitionKey: S('pk'),
    indexes: [
      { indexName: 'byKeyId', partitionKey: S('keyId') },
      { indexName: 'byAccount', partitionKey: S('accountId'), sortKey: S('createdAt') },
    ],
    pointInTimeRecovery: true,
  },
  {
    id: 'usage',
    description: 'Usage events (one per request that reached a provider) and per-account daily aggregates',
    retention: 'usage',
    policySections: ['§2 Usage Data', '§8'],
    partitionKey: S('pk'),
    sortKey: S('sk'),
    indexes: [],
    pointInTimeRecovery: true,
  },
  {
    id: 'billing',
    description: 'Monthly billing statements per account',
    retention: 'billing',
    policySections: ['§2 Account Information (billing)', '§8'],
    partitionKey: S('pk'),
    sortKey: S('sk'),
    indexes: [],
    pointInTimeRecovery: true,
  },
  {
    id: 'limits',
    description: 'Rate-limit windows and budget reservations',
    retention: 'rateLimit',
    policySections: ['§3 (prevent abuse)', '§8'],
    partitionKey: S('pk'),
    sortKey: S('sk'),
    indexes: [],
    pointInTimeRecovery: true,
  },
  {
    id: 'privacyAudit',
    description: 'Audit trail of data-subject requests, without personal content',
    retention: 'privacyAudit',
    policySections: ['§6', '§8'],
    partitionKey: S('pk'),
    sortKey: S('sk'),
    indexes: [],
    pointInTimeRecovery: true,
  },
  {
    id: 'support',
    description: 'Support communications, kept until resolved',
    retention: 'support',
    policySections: ['§8'],
    partitionKey: S('pk'),
    sortKey: S('sk'),
    indexes: [],
    pointInTimeRecovery: true,
  },
  {
    id: 'dataKeys',
    description: "Per-account data keys, wrapped by the KMS key; deleting one crypto-shreds the account's personal fields everywhere",
    retention: 'account',
    policySections: ['§5', '§6 erasure'],
    partitionKey: S('pk'),
    indexes: [],
    pointInTimeRecovery: false,
  },
];

/** Environment variable that carries a table's physical name to the functions. */
export function tableEnvVar(id: TableId): string {
  return `CTR_TABLE_${id.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase()}`;
}

/** Physical table names, keyed by table id. */
export type TableNames = Record<TableId, string>;

/** A table's name after the prefix: `apiKeys` → `api-keys` (the stacks name tables `<prefix>-<suffix>`). */
export function tableSuffix(id: TableId): string {
  return id.replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`);
}

/**
 * Reads table names from the environment (`CTR_TABLE_<ID>`, as the stacks set them), falling back
 * to `<CTR_TABLE_PREFIX><suffix>`: `ctr-local-` locally; `ctr-` reaches a deployed stack's tables.
 */
export function tableNamesFromEnv(env: NodeJS.ProcessEnv = process.env, prefix = env.CTR_TABLE_PREFIX ?? 'ctr-local-'): TableNames {
  const names = {} as TableNames;
  for (const t of TABLES) names[t.id] = env[tableEnvVar(t.id)] ?? `${prefix}${tableSuffix(t.id)}`;
  return names;
}

export function tableDefinition(id: TableId): TableDefinition {
  const t = TABLES.find((x) => x.id === id);
  if (!t) throw new Error(`unknown table ${id}`);
  return t;
}
