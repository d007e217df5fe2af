/**
 * Accounts, keys, limits, usage reports and statements: the operations behind the admin API,
 * the `ctr` CLI and key-holder self-service. One implementation; the transports only parse input.
 */
import type * as z from 'zod';
import type { Caller, Limits } from '../domain/caller';
import { RouterError } from '../domain/errors';
import { nanoToUsd } from '../domain/money';
import type { AccountsStore, BillingStore, KeysStore, LimitCopies, LimitsPort, UsageStore } from '../domain/ports';
import type { AccountFlags, AccountRecord, AccountStatus, ApiKeyRecord, Statement, StatementLine } from '../domain/records';
import type { RefusalCount } from '../domain/refusals';
import { addEvent, type UsageEvent, ZERO_TOTALS } from '../domain/usage';
import { accountIdSchema, createAccountSchema, createKeySchema, updateAccountSchema } from './account-schemas';
import { requestIdAt } from './ids';
import { limitsFromInput, limitsInputSchema, stampLimits } from './limits';
import type { PersonalDataCipher, PersonalFields } from './personal-data';
import { type UsageGrouping, type UsageRow, usageReport } from './usage-report';

/** Account ids are opaque identifiers chosen by the operator; use no personal data (e.g. an email) as an id. */
const MONTH = /^\d{4}-(0[1-9]|1[0-2])$/;
const DAY = /^\d{4}-\d{2}-\d{2}$/;

/** An account as the API shows it: personal fields decrypted, limits in USD. */
export interface AccountView {
  accountId: string;
  status: AccountStatus;
  createdAt: string;
  closedAt?: string;
  email?: string;
  company?: string;
  limits: ReturnType<typeof limitsView>;
  flags: AccountFlags;
  /** False after erasure: the data key is destroyed and personal fields are unreadable. */
  personalDataReadable: boolean;
  /** Set in listings when this account's sealed data could not be opened (no content is shown). */
  unreadable?: true;
}

/** The view of an account whose sealed data could not be opened: ids, status and limits only. */
export function unreadableView(a: AccountRecord): AccountView {
  return {
    accountId: a.accountId,
    status: a.status,
    createdAt: a.createdAt,
    ...(a.closedAt ? { closedAt: a.closedAt } : {}),
    limits: limitsView(a.limits),
    flags: a.flags ?? {},
    personalDataReadable: false,
    unreadable: true,
  };
}

export function limitsView(l: Limits = {}) {
  return {
    rpm: l.rpm ?? null,
    tpm: l.tpm ?? null,
    dailyBudgetUsd: l.dailyBudgetNanoUsd === undefined ? null : nanoToUsd(l.dailyBudgetNanoUsd),
    monthlyBudgetUsd: l.monthlyBudgetNanoUsd === undefined ? null : nanoToUsd(l.monthlyBudgetNanoUsd),
  };
}

export function keyView(k: ApiKeyRecord) {
  return {
    keyId: k.keyId,
    accountId: k.accountId,
    name: k.name,
    prefix: k.prefix,
    status: k.status,
    createdAt: k.createdAt,
    revokedAt: k.revokedAt ?? null,
    validUntil: k.validUntil ?? null,
    rotatedFrom: k.rotatedFrom ?? null,
    limits: limitsView(k.limits),
  };
}

export { USAGE_GROUPINGS, type UsageGrouping, type UsageRow } from './usage-report';

export interface AccountServiceDeps {
  accounts: AccountsStore;
  /** Refusal counts (core/refusals.ts) for usage reports; reports show none without it. */
  refusals?: { list(accountId: string, fromHour: string, toHour: string): Promise<RefusalCount[]> };
  keys: KeysStore;
  usage: UsageStore;
  billing: BillingStore;
  limits: LimitsPort;
  /** Where a changed limit is copied into the current counters, so every instance's next refill sees it (absent: only via the key cache). */
  limitCopies?: LimitCopies;
  cipher: PersonalDataCipher;
  accountGraceDays: number;
  now(): Date;
}

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const r = schema.safeParse(input ?? {});
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw RouterError.invalidRequest(`Invalid ${issue.path.join('.') || 'input'}: ${issue.message}`, issue.path.join('.') || null);
}

/** A real calendar day written YYYY-MM-DD. */
function isDay(value: string): boolean {
  return (
    DAY.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`)) && new Date(`${value}T00:00:00Z`).toISOString().startsWith(value)
  );
}

function dayAfter(day: string): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + 86_400_000).toISOString().slice(0, 10);
}

export class AccountService {
  constructor(private readonly d: AccountServiceDeps) {}

  private async record(accountId: string): Promise<AccountRecord> {
    const a = await this.d.accounts.get(parse(accountIdSchema(), accountId), this.d.now());
    if (!a) throw RouterError.notFound(`No account ${accountId}.`, 'accountId', 'account_not_found');
    return a;
  }

  async view(a: AccountRecord): Promise<AccountView> {
    const personal = await this.d.cipher.open<PersonalFields>(a.accountId, a.personal);
    return {
      accountId: a.accountId,
      status: a.status,
      createdAt: a.createdAt,
      ...(a.closedAt ? { closedAt: a.closedAt } : {}),
      ...(personal?.email ? { email: personal.email } : {}),
      ...(personal?.company ? { company: personal.company } : {}),
      limits: limitsView(a.limits),
      flags: a.flags ?? {},
      personalDataReadable: await this.d.cipher.hasKey(a.accountId),
    };
  }

  async createAccount(input: unknown): Promise<AccountView> {
    const req = parse(createAccountSchema(), input);
    if (await this.d.accounts.get(req.accountId, this.d.now()))
      throw RouterError.conflict(`Account ${req.accountId} already exists.`, 'accountId', 'account_exists');
    await this.d.cipher.createKey(req.accountId);
    const fields: PersonalFields = { ...(req.email ? { email: req.email } : {}), ...(req.company ? { company: req.company } : {}) };
    const record: AccountRecord = {
      accountId: req.accountId,
      status: 'active',
      createdAt: this.d.now().toISOString(),
      personal: await this.d.cipher.seal(req.accountId, fields),
      limits: limitsFromInput(req.limits ?? {}),
      flags: {},
    };
    if (!(await this.d.accounts.create(record)))
      throw RouterError.conflict(`Account ${req.accountId} already exists.`, 'accountId', 'account_exists');
    return this.view(record);
  }

  async getAccount(accountId: string): Promise<AccountView> {
    return this.view(await this.record(accountId));
  }

  async listAccounts(): Promise<AccountView[]> {
    // One item that cannot be opened (a damaged item, a data key sealed under another master key) never breaks the listing.
    return Promise.all((await this.d.accounts.list()).map((a) => this.view(a).catch(() => unreadableView(a))));
  }

  /** Updates status, limits or personal fields (policy §6 correction). */
  async updateAccount(accountId: string, input: unknown): Promise<AccountView> {
    const req = parse(updateAccountSchema(), input);
    const a = await this.record(accountId);
    const changes: Partial<AccountRecord> = {};
    if (req.status) changes.status = req.status;
    if (req.limits) changes.limits = stampLimits(a.limits, { ...a.limits, ...limitsFromInput(req.limits) }, this.d.now());
    if (req.email !== undefined || req.company !== undefined) {
      if (!(await this.d.cipher.hasKey(a.accountId)))
        throw RouterError.conflict('This account was erased; its personal data cannot be set again.', null, 'account_erased');
      const current = (await this.d.cipher.open<PersonalFields>(a.accountId, a.personal)) ?? {};
      changes.personal = await this.d.cipher.seal(a.accountId, {
        ...current,
        ...(req.email !== undefined ? { email: req.email } : {}),
        ...(req.company !== undefined ? { company: req.company } : {}),
      });
    }
    await this.d.accounts.update(a.accountId, changes);
    if (changes.limits) await this.d.limitCopies?.applyLimits({ kind: 'acct', id: a.accountId }, changes.limits, this.d.now());
    return this.getAccount(a.accountId);
  }

  async setFlags(accountId: string, flags: AccountFlags): Promise<AccountView> {
    const a = await this.record(accountId);
    await this.d.accounts.update(a.accountId, { flags: { ...(a.flags ?? {}), ...flags } });
    return this.getAccount(a.accountId);
  }

  /** Closes an account: keys revoked, account data kept for the grace period, then removed by TTL (§8). */
  async closeAccount(accountId: string): Promise<AccountView> {
    const a = await this.record(accountId);
    const now = this.d.now();
    const expiresAt = Math.floor(now.getTime() / 1000) + this.d.accountGraceDays * 86_400;
    await this.d.accounts.close(a.accountId, this.d.accountGraceDays, now);
    await this.d.keys.expireByAccount(a.accountId, expiresAt);
    // When the grace period ends the data key goes too, so the personal fields left in usage records become unreadable.
    await this.d.cipher.expireKey(a.accountId, expiresAt);
    return this.getAccount(a.accountId);
  }

  async createKey(accountId: string, input: unknown): Promise<{ key: string } & ReturnType<typeof keyView>> {
    const a = await this.record(accountId);
    if (a.status === 'closed') throw RouterError.conflict('The account is closed.', null, 'account_closed');
    const req = parse(createKeySchema(), input);
    const { record, secret } = await this.d.keys.create(a.accountId, req.name, this.d.now(), {
      validUntil: req.validUntil,
      limits: req.limits ? limitsFromInput(req.limits) : undefined,
    });
    return { ...keyView(record), key: secret };
  }

  async listKeys(accountId: string) {
    const a = await this.record(accountId);
    return (await this.d.keys.listByAccount(a.accountId)).map(keyView);
  }

  private async keyRecord(keyId: string): Promise<ApiKeyRecord> {
    const k = await this.d.keys.getById(keyId);
    if (!k) throw RouterError.notFound(`No key ${keyId}.`, 'keyId', 'key_not_found');
    return k;
  }

  async revokeKey(keyId: string) {
    const k = await this.keyRecord(keyId);
    await this.d.keys.revoke(k.keyId, this.d.now());
    return keyView((await this.d.keys.getById(k.keyId))!);
  }

  /** Issues a new key with the same name, validity and limits, then revokes the old one. */
  async rotateKey(keyId: string) {
    const old = await this.keyRecord(keyId);
    if (old.status !== 'active') throw RouterError.conflict(`Key ${keyId} is not active.`, 'keyId', 'key_not_active');
    const { record, secret } = await this.d.keys.create(old.accountId, old.name, this.d.now(), {
      validUntil: old.validUntil,
      limits: old.limits,
      rotatedFrom: old.keyId,
    });
    await this.d.keys.revoke(old.keyId, this.d.now());
    return { ...keyView(record), key: secret };
  }

  async setKeyLimits(keyId: string, input: unknown) {
    const k = await this.keyRecord(keyId);
    const limits = stampLimits(k.limits, { ...(k.limits ?? {}), ...limitsFromInput(parse(limitsInputSchema(), input)) }, this.d.now());
    await this.d.keys.setLimits(k.keyId, limits);
    // The key's counters carry the new limits at once: every instance's next refill compares with them.
    await this.d.limitCopies?.applyLimits({ kind: 'key', id: k.keyId }, limits, this.d.now());
    return keyView((await this.d.keys.getById(k.keyId))!);
  }

  /** Usage events of an account between two days (inclusive, UTC). */
  async events(accountId: string, from: string, to: string): Promise<UsageEvent[]> {
    if (!isDay(from) || !isDay(to)) throw RouterError.invalidRequest('from and to are days, YYYY-MM-DD.', isDay(from) ? 'to' : 'from');
    return this.d.usage.events(
      parse(accountIdSchema(), accountId),
      requestIdAt(Date.parse(`${from}T00:00:00Z`)),
      requestIdAt(Date.parse(`${dayAfter(to)}T00:00:00Z`)),
    );
  }

  /** Usage of an account grouped by hour, day, model, provider or key, with its errors and latency. */
  async usage(accountId: string, options: { from: string; to: string; by: UsageGrouping; keyId?: string }): Promise<UsageRow[]> {
    const [all, allRefusals] = await Promise.all([
      this.events(accountId, options.from, options.to),
      this.d.refusals ? this.d.refusals.list(accountId, `${options.from}T00:00`, `${options.to}T23:00`) : [],
    ]);
    const mine = <T extends { keyId?: string }>(xs: T[]) => (options.keyId ? xs.filter((x) => x.keyId === options.keyId) : xs);
    return usageReport(mine(all), options.by, mine(allRefusals));
  }

  /** Builds (and stores, for the billing retention period) an account's statement for a month. */
  async statement(accountId: string, month: string): Promise<Statement> {
    if (!MONTH.test(month)) throw RouterError.invalidRequest('month is YYYY-MM.', 'month');
    const a = await this.d.accounts.get(parse(accountIdSchema(), accountId), this.d.now());
    const stored = await this.d.billing.get(accountId, month);
    const monthStart = `${month}-01`;
    const nextMonth = new Date(Date.UTC(Number(month.slice(0, 4)), Number(month.slice(5, 7)), 1));
    const monthEnd = new Date(nextMonth.getTime() - 86_400_000).toISOString().slice(0, 10);
    // A finished month's statement is final once stored; the current month's is rebuilt on request.
    if (stored && nextMonth.getTime() <= Date.parse(stored.generatedAt)) return stored;
    if (!a) {
      if (stored) return stored;
      throw RouterError.notFound(`No account ${accountId}.`, 'accountId', 'account_not_found');
    }
    const lines = new Map<string, StatementLine>();
    for (const e of await this.events(accountId, monthStart, monthEnd)) {
      const k = `${e.servedModel}|${e.provider}`;
      lines.set(k, addEvent(lines.get(k) ?? { model: e.servedModel, provider: e.provider, ...ZERO_TOTALS }, e));
    }
    const sorted = [...lines.values()].sort((x, y) => x.model.localeCompare(y.model) || x.provider.localeCompare(y.provider));
    const statement: Statement = {
      accountId,
      month,
      generatedAt: this.d.now().toISOString(),
      lines: sorted,
      totalRequests: sorted.reduce((s, l) => s + l.requests, 0),
      totalCostNanoUsd: sorted.reduce((s, l) => s + l.costNanoUsd, 0),
      totalReferenceCostNanoUsd: sorted.reduce((s, l) => s + l.referenceCostNanoUsd, 0),
    };
    await this.d.billing.put(statement, this.d.now());
    return statement;
  }

  /** Limits and remaining budget of the calling key (GET /v1/key). */
  async keyStatus(caller: Caller) {
    return {
      accountId: caller.accountId,
      keyId: caller.keyId,
      limits: { key: limitsView(caller.keyLimits), account: limitsView(caller.accountLimits) },
      budgets: await this.d.limits.budgetStatus(caller),
    };
  }

  /** The caller for an API key secret, or undefined; throws 403 for suspended or restricted accounts. */
  async resolveCaller(secret: string, options: { allowRestricted?: boolean } = {}): Promise<Caller | undefined> {
    const key = await this.d.keys.findActiveBySecret(secret, this.d.now());
    if (!key) return undefined;
    const a = await this.d.accounts.get(key.accountId, this.d.now());
    if (!a || a.status === 'closed') return undefined;
    if (a.status === 'suspended') throw RouterError.forbidden('This account is suspended.', 'account_suspended');
    if (a.flags?.restricted && !options.allowRestricted)
      throw RouterError.forbidden('Processing for this account is restricted at its request.', 'processing_restricted');
    return {
      accountId: a.accountId,
      keyId: key.keyId,
      accountLimits: a.limits ?? {},
      keyLimits: key.limits ?? {},
      analyticsOptOut: Boolean(a.flags?.analyticsOptOut),
    };
  }
}
