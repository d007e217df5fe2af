/**
 * Data-subject rights (policy §6) for one account: access and portability (a machine-readable
 * export of everything held), correction, erasure (crypto-shredding plus deletion of everything
 * not under a legal retention duty; billing kept for tax under §8, pseudonymized), restriction
 * and objection (flags the code honours). Every request is audited without personal content.
 */
import type { AccountService, AccountView } from './accounts';
import { keyView } from './accounts';
import { ApiError } from './errors';
import type { PersonalDataCipher } from './personal-data';
import type { SupportService, SupportTicketView } from './support';
import type { AccountsRepo } from '../store/accounts-repo';
import type { AuditEntry, PrivacyAction, PrivacyAuditRepo } from '../store/audit-repo';
import type { BillingRepo, Statement } from '../store/billing-repo';
import { deletePartition, ttlAfterDays, type documentClient } from '../store/dynamo';
import type { KeysRepo } from '../store/keys-repo';
import type { TableNames } from '../store/tables';
import type { UsageEvent, UsageRepo } from '../store/usage-repo';

export type Actor = AuditEntry['actor'];

export interface PrivacyDeps {
  accounts: AccountService;
  support: SupportService;
  accountsRepo: AccountsRepo;
  keys: KeysRepo;
  usage: UsageRepo;
  billing: BillingRepo;
  audit: PrivacyAuditRepo;
  cipher: PersonalDataCipher;
  db: ReturnType<typeof documentClient>;
  /** The client for the limits table (home region). */
  limitsDb: ReturnType<typeof documentClient>;
  tables: TableNames;
  accountGraceDays: number;
  now(): Date;
}

/** The portable export of an account (JSON, format `ctr.account-export/1`). */
export interface AccountExport {
  format: 'ctr.account-export/1';
  exportedAt: string;
  account: AccountView;
  keys: ReturnType<typeof keyView>[];
  usage: Array<Omit<UsageEvent, 'ipSealed'> & { ipAddress?: string }>;
  statements: Statement[];
  supportTickets: SupportTicketView[];
  privacyRequests: AuditEntry[];
}

export class PrivacyService {
  constructor(private readonly d: PrivacyDeps) {}

  private async audit(accountId: string, action: PrivacyAction, actor: Actor, counts: Record<string, number> = {}): Promise<void> {
    await this.d.audit.record({ accountId, action, actor, at: this.d.now().toISOString(), outcome: 'done', counts });
  }

  /** Access and portability: everything held about the account, as one JSON document. */
  async exportAccount(accountId: string, actor: Actor): Promise<AccountExport> {
    const account = await this.d.accounts.getAccount(accountId);
    const events = await this.d.usage.events(accountId);
    const usage = await Promise.all(
      events.map(async ({ ipSealed, ...e }) => {
        const ip = await this.d.cipher.open<string>(accountId, ipSealed);
        return ip ? { ...e, ipAddress: ip } : e;
      }),
    );
    const result: AccountExport = {
      format: 'ctr.account-export/1',
      exportedAt: this.d.now().toISOString(),
      account,
      keys: (await this.d.keys.listByAccount(accountId)).map(keyView),
      usage,
      statements: await this.d.billing.list(accountId),
      supportTickets: await this.d.support.list(accountId),
      privacyRequests: await this.d.audit.list(accountId),
    };
    await this.audit(accountId, 'export', actor, { usageEvents: usage.length, keys: result.keys.length, statements: result.statements.length });
    return result;
  }

  /** Correction of personal fields (email, company). */
  async correct(accountId: string, input: unknown, actor: Actor): Promise<AccountView> {
    const fields = (input ?? {}) as Record<string, unknown>;
    const allowed = Object.keys(fields).filter((k) => k === 'email' || k === 'company');
    if (allowed.length !== Object.keys(fields).length || !allowed.length)
      throw ApiError.invalidRequest('Correction takes email and/or company.', null, 'invalid_value');
    const view = await this.d.accounts.updateAccount(accountId, fields);
    await this.audit(accountId, 'correction', actor, { fields: allowed.length });
    return view;
  }

  /** Restriction of processing: the account's keys are refused while it is on. */
  async restrict(accountId: string, on: boolean, actor: Actor): Promise<AccountView> {
    const view = await this.d.accounts.setFlags(accountId, { restricted: on });
    await this.audit(accountId, 'restriction', actor, { restricted: on ? 1 : 0 });
    return view;
  }

  /** Objection to processing for analytics: the account is kept out of anonymized statistics. */
  async object(accountId: string, on: boolean, actor: Actor): Promise<AccountView> {
    const view = await this.d.accounts.setFlags(accountId, { analyticsOptOut: on });
    await this.audit(accountId, 'objection', actor, { analyticsOptOut: on ? 1 : 0 });
    return view;
  }

  /**
   * Erasure. The data key goes first, so even an interrupted erasure leaves nothing personal
   * readable; then keys, usage, limit counters and support items are deleted; billing statements
   * stay for the tax retention (§8), pseudonymized; the account becomes a tombstone without
   * personal fields that expires after the grace period.
   */
  async erase(accountId: string, actor: Actor): Promise<Record<string, number>> {
    const view = await this.d.accounts.getAccount(accountId);
    const { tables, db, limitsDb } = this.d;
    const keyIds = (await this.d.keys.listByAccount(accountId)).map((k) => k.keyId);
    await this.d.cipher.shred(accountId);
    const counts: Record<string, number> = {
      keysDeleted: await this.d.keys.deleteByAccount(accountId),
      usageItemsDeleted: await deletePartition(db, tables.usage, `acct#${accountId}`),
      supportItemsDeleted: await deletePartition(db, tables.support, `acct#${accountId}`),
      limitItemsDeleted: 0,
      statementsPseudonymized: await this.d.billing.pseudonymize(accountId),
    };
    const limitPartitions = [`budget#acct#${accountId}`, `rate#acct#${accountId}`, `resv#acct#${accountId}`, ...keyIds.flatMap((k) => [`budget#key#${k}`, `rate#key#${k}`])];
    for (const pk of limitPartitions) counts.limitItemsDeleted! += await deletePartition(limitsDb, tables.limits, pk);
    const now = this.d.now();
    await this.d.accountsRepo.update(
      accountId,
      { status: 'closed', erasedAt: now.toISOString(), closedAt: view.closedAt ?? now.toISOString(), limits: {}, flags: {}, expiresAt: ttlAfterDays(now, this.d.accountGraceDays) },
      ['personal'],
    );
    await this.audit(accountId, 'erasure', actor, counts);
    return counts;
  }

  async auditTrail(accountId: string): Promise<AuditEntry[]> {
    return this.d.audit.list(accountId);
  }
}
