/**
 * The allow-list of attributes per table and item kind: every attribute the product may store,
 * with the kind of value it may hold. No kind admits free-form text: strings are ids, enums,
 * times, catalog names or ciphertext sealed with the account's data key. The one operator-chosen
 * label (an API key's name, account information of §2) is listed as such, bounded in length.
 */
import type { TableId } from '../../lambdas/store/tables';

/** What a value may be. Catalog names are checked against the config's model, provider and upstream ids. */
export type ValueKind =
  | 'id'
  | 'number'
  | 'boolean'
  | 'time'
  | 'day'
  | 'month'
  | 'sealed'
  | 'model'
  | 'provider'
  | 'upstreamModel'
  | 'label'
  | 'limits'
  | 'flags'
  | 'counts'
  | 'counterKeys'
  | 'ids'
  | 'erasureCursor'
  | 'statementLines'
  | 'supportMessages'
  | { enum: readonly (string | boolean)[] };

export interface ItemKind {
  readonly table: TableId;
  readonly name: string;
  readonly matches: (item: Record<string, unknown>) => boolean;
  readonly attributes: Readonly<Record<string, ValueKind>>;
}

const pk = (prefix: string) => (i: Record<string, unknown>) => String(i.pk).startsWith(prefix);
const pkSk = (pkPrefix: string, skPrefix: string) => (i: Record<string, unknown>) =>
  String(i.pk).startsWith(pkPrefix) && String(i.sk).startsWith(skPrefix);

const TOTALS = {
  requests: 'number',
  promptTokens: 'number',
  completionTokens: 'number',
  cachedReadTokens: 'number',
  cacheWriteTokens: 'number',
  reasoningTokens: 'number',
  costNanoUsd: 'number',
  referenceCostNanoUsd: 'number',
} as const;

/** Every item kind of every table. */
export const ITEM_KINDS: readonly ItemKind[] = [
  {
    table: 'accounts',
    name: 'account',
    matches: pk('acct#'),
    attributes: {
      pk: 'id',
      accountId: 'id',
      status: { enum: ['active', 'suspended', 'closed'] },
      createdAt: 'time',
      erasedAt: 'time',
      closedAt: 'time',
      personal: 'sealed',
      limits: 'limits',
      flags: 'flags',
      expiresAt: 'number',
    },
  },
  {
    table: 'apiKeys',
    name: 'API key',
    matches: pk('hash#'),
    attributes: {
      pk: 'id',
      keyId: 'id',
      accountId: 'id',
      name: 'label',
      prefix: 'id',
      status: { enum: ['active', 'revoked'] },
      createdAt: 'time',
      revokedAt: 'time',
      validUntil: 'time',
      limits: 'limits',
      rotatedFrom: 'id',
      expiresAt: 'number',
    },
  },
  {
    table: 'usage',
    name: 'usage event',
    matches: pkSk('acct#', 'evt#'),
    attributes: {
      pk: 'id',
      sk: 'id',
      type: { enum: ['event'] },
      requestId: 'id',
      accountId: 'id',
      keyId: 'id',
      at: 'time',
      requestedModel: 'model',
      servedModel: 'model',
      provider: 'provider',
      upstreamModel: 'upstreamModel',
      stream: 'boolean',
      latencyMs: 'number',
      ttftMs: 'number',
      status: { enum: ['ok', 'client_closed', 'upstream_error', 'upstream_rejected'] },
      usageSource: { enum: ['upstream', 'estimated'] },
      attempts: 'number',
      ipSealed: 'sealed',
      usageFlag: { enum: ['clamped'] },
      ...TOTALS,
      expiresAt: 'number',
    },
  },
  {
    table: 'usage',
    name: 'daily aggregate',
    matches: pkSk('acct#', 'day#'),
    attributes: { pk: 'id', sk: 'id', type: { enum: ['daily'] }, day: 'day', ...TOTALS, expiresAt: 'number' },
  },
  {
    table: 'usage',
    name: 'refusal counts',
    matches: (i) => (String(i.pk).startsWith('acct#') || i.pk === 'refusals#global') && String(i.sk).startsWith('ref#'),
    attributes: { pk: 'id', sk: 'id', type: { enum: ['refusals'] }, 'n_*': 'number', expiresAt: 'number' },
  },
  {
    table: 'usage',
    name: 'service-wide statistics',
    matches: pk('stats#global'),
    attributes: { pk: 'id', sk: 'id', requests: 'number', promptTokens: 'number', completionTokens: 'number', expiresAt: 'number' },
  },
  {
    table: 'billing',
    name: 'monthly statement',
    matches: pkSk('acct#', 'month#'),
    attributes: {
      pk: 'id',
      sk: 'id',
      accountId: 'id',
      month: 'month',
      generatedAt: 'time',
      lines: 'statementLines',
      totalRequests: 'number',
      totalCostNanoUsd: 'number',
      totalReferenceCostNanoUsd: 'number',
      pseudonymized: 'boolean',
      expiresAt: 'number',
    },
  },
  {
    table: 'limits',
    name: 'rate window',
    matches: pkSk('rate#', 'min#'),
    attributes: {
      pk: 'id',
      sk: 'id',
      requests: 'number',
      tokens: 'number',
      expiresAt: 'number',
      // The window's limits as last set, and when (the counter's copy of the key's or account's limits).
      requestLimit: 'number',
      tokenLimit: 'number',
      limitAt: 'number',
    },
  },
  {
    table: 'limits',
    name: 'budget counter',
    matches: pk('budget#'),
    attributes: {
      pk: 'id',
      sk: 'id',
      committed: 'number',
      limit: 'number',
      limitAt: 'number',
      spent: 'number',
      requests: 'number',
      expiresAt: 'number',
      // Budget leases: each holder's (a function instance's random name) amount held and lease expiry.
      'lease_*': 'number',
      'leaseUntil_*': 'number',
      // The number of the holder's last applied take, and its fence (takes below it cannot land).
      'leaseOp_*': 'number',
      'leaseFence_*': 'number',
    },
  },
  {
    table: 'limits',
    name: 'budget reservation',
    matches: pk('resv#acct#'),
    attributes: { pk: 'id', sk: 'id', amount: 'number', counters: 'counterKeys', createdAt: 'time', expiresAt: 'number' },
  },
  {
    table: 'limits',
    name: 'settled marker',
    matches: pk('settled#'),
    attributes: { pk: 'id', sk: { enum: ['settled'] }, expiresAt: 'number' },
  },
  {
    table: 'limits',
    name: 'budget alert marker',
    // Hashed owner, then the period and threshold: no account is named.
    matches: pk('alert#'),
    attributes: { pk: 'id', sk: { enum: ['marker'] }, expiresAt: 'number' },
  },
  {
    table: 'limits',
    name: 'erasure fence',
    // Hashed account id: the fence outlives the erasure and must not name the account.
    matches: pk('erased#'),
    attributes: { pk: 'id', sk: { enum: ['erased'] }, expiresAt: 'number' },
  },
  {
    table: 'limits',
    name: 'offer health',
    matches: pk('health#'),
    attributes: {
      pk: 'id',
      sk: 'id',
      offerId: 'id',
      minute: 'number',
      attempts: 'number',
      failures: 'number',
      timeouts: 'number',
      ttftMsSum: 'number',
      ttftCount: 'number',
      outputTokens: 'number',
      generationMs: 'number',
      expiresAt: 'number',
    },
  },
  {
    table: 'privacyAudit',
    name: 'audit entry',
    matches: pk('acct#'),
    attributes: {
      pk: 'id',
      sk: 'id',
      accountId: 'id',
      action: { enum: ['access', 'export', 'correction', 'erasure', 'restriction', 'objection'] },
      actor: { enum: ['operator', 'key-holder'] },
      at: 'time',
      outcome: { enum: ['done', 'refused'] },
      counts: 'counts',
      expiresAt: 'number',
    },
  },
  {
    table: 'privacyAudit',
    name: 'erasure job',
    matches: pk('job#'),
    attributes: {
      pk: 'id',
      sk: { enum: ['job'] },
      jobId: 'id',
      accountId: 'id',
      status: { enum: ['running', 'done'] },
      actor: { enum: ['operator', 'key-holder'] },
      createdAt: 'time',
      updatedAt: 'time',
      counts: 'counts',
      cursor: 'erasureCursor',
      keyIds: 'ids',
      pages: 'number',
      expiresAt: 'number',
    },
  },
  {
    table: 'support',
    name: 'support ticket',
    matches: pkSk('acct#', 'ticket#'),
    attributes: {
      pk: 'id',
      sk: 'id',
      accountId: 'id',
      ticketId: 'id',
      status: { enum: ['open', 'resolved'] },
      openedAt: 'time',
      resolvedAt: 'time',
      messages: 'supportMessages',
      expiresAt: 'number',
    },
  },
  {
    table: 'dataKeys',
    name: 'wrapped data key',
    matches: pk('acct#'),
    attributes: { pk: 'id', wrapped: 'sealed', expiresAt: 'number' },
  },
];

/** The names a catalog-valued attribute may take. */
export interface CatalogNames {
  models: ReadonlySet<string>;
  providers: ReadonlySet<string>;
  upstreamModels: ReadonlySet<string>;
}

const ID = /^[A-Za-z0-9_.:/#@+=-]{1,200}$/;
const TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,3})?Z$/;
const LIMIT_NAMES = new Set(['rpm', 'tpm', 'dailyBudgetNanoUsd', 'monthlyBudgetNanoUsd', 'setAt']);
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/**
 * Ciphertext sealed with a data key (AES-GCM: 12-byte IV, 16-byte tag, body), base64. Plain text
 * base64-encoded is told apart by its bytes: ciphertext is not mostly printable.
 */
function isSealed(v: unknown): boolean {
  if (typeof v !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(v)) return false;
  const raw = Buffer.from(v, 'base64');
  if (raw.length < 29) return false;
  const printable = raw.filter((b) => b >= 0x20 && b < 0x7f).length;
  return printable / raw.length < 0.9;
}

/** Why `value` is not of `kind`, or undefined when it is. */
export function violation(value: unknown, kind: ValueKind, names: CatalogNames): string | undefined {
  const ok = (() => {
    if (typeof kind === 'object') return kind.enum.includes(value as string);
    switch (kind) {
      case 'id':
        return typeof value === 'string' && ID.test(value);
      case 'number':
        return typeof value === 'number' && Number.isFinite(value);
      case 'boolean':
        return typeof value === 'boolean';
      case 'time':
        return typeof value === 'string' && TIME.test(value);
      case 'day':
        return typeof value === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(value);
      case 'month':
        return typeof value === 'string' && /^\d{4}-\d{2}$/.test(value);
      case 'sealed':
        return isSealed(value);
      case 'model':
        return typeof value === 'string' && names.models.has(value);
      case 'provider':
        return typeof value === 'string' && names.providers.has(value);
      case 'upstreamModel':
        return typeof value === 'string' && names.upstreamModels.has(value);
      case 'label':
        // An API key's name, set by the operator or key holder (account information, not model content).
        return typeof value === 'string' && value.length <= 100;
      case 'limits':
        return isObject(value) && Object.entries(value).every(([k, v]) => LIMIT_NAMES.has(k) && typeof v === 'number');
      case 'flags':
        return (
          isObject(value) &&
          Object.entries(value).every(([k, v]) => ['restricted', 'analyticsOptOut'].includes(k) && typeof v === 'boolean')
        );
      case 'counts':
        return isObject(value) && Object.entries(value).every(([k, v]) => /^[A-Za-z]{1,64}$/.test(k) && typeof v === 'number');
      case 'ids':
        return Array.isArray(value) && value.every((v) => ID.test(String(v)));
      case 'erasureCursor':
        // A partition index and DynamoDB's start key (the key of an item of the account: ids only).
        return (
          isObject(value) &&
          typeof value.partition === 'number' &&
          (value.startKey === undefined || (isObject(value.startKey) && Object.values(value.startKey).every((v) => ID.test(String(v)))))
        );
      case 'counterKeys':
        return (
          Array.isArray(value) &&
          value.every((c) => isObject(c) && Object.keys(c).sort().join() === 'pk,sk' && ID.test(String(c.pk)) && ID.test(String(c.sk)))
        );
      case 'statementLines':
        return (
          Array.isArray(value) &&
          value.every(
            (l) =>
              isObject(l) &&
              Object.entries(l).every(([k, v]) =>
                k === 'model'
                  ? names.models.has(String(v))
                  : k === 'provider'
                    ? names.providers.has(String(v))
                    : k in TOTALS && typeof v === 'number',
              ),
          )
        );
      case 'supportMessages':
        return (
          Array.isArray(value) &&
          value.every(
            (m) =>
              isObject(m) &&
              Object.keys(m).sort().join() === 'at,from,sealed' &&
              TIME.test(String(m.at)) &&
              ['customer', 'operator'].includes(String(m.from)) &&
              isSealed(m.sealed),
          )
        );
    }
  })();
  return ok ? undefined : `not ${typeof kind === 'object' ? `one of ${kind.enum.join('|')}` : kind}`;
}

/** Every breach of the allow-list in one table's items: unknown item kinds, unlisted attributes, values outside their kind. */
export function allowListBreaches(
  table: TableId,
  items: readonly Record<string, unknown>[],
  names: CatalogNames,
): { breaches: string[]; kinds: Set<string> } {
  const kinds = ITEM_KINDS.filter((k) => k.table === table);
  const breaches: string[] = [];
  const seen = new Set<string>();
  for (const item of items) {
    const kind = kinds.find((k) => k.matches(item));
    if (!kind) {
      breaches.push(`${table}: an item of no known kind (pk ${String(item.pk).split('#')[0]}#…)`);
      continue;
    }
    seen.add(kind.name);
    for (const [attr, value] of Object.entries(item)) {
      // Per-holder attributes (`lease_<holder>`) are listed once, as `lease_*`.
      const allowed = kind.attributes[attr] ?? kind.attributes[attr.replace(/_[A-Za-z0-9-]{1,64}$/, '_*')];
      if (!allowed) breaches.push(`${table} ${kind.name}: attribute ${attr} is not on the allow-list`);
      else {
        const why = violation(value, allowed, names);
        if (why) breaches.push(`${table} ${kind.name}: ${attr} is ${why}`);
      }
    }
  }
  return { breaches, kinds: seen };
}
