/**
 * Data-subject rights (policy §6) for one account: access and portability (a machine-readable
 * export of everything held), correction, erasure (crypto-shredding plus deletion of everything
 * not under a legal retention duty; billing kept for tax under §8, pseudonymized), restriction
 * and objection (flags the code honours). Every request is audited without personal content.
 */

import { RouterError } from '../domain/errors';
import type { AccountsStore, BillingStore, KeysStore, PrivacyAuditStore, UsageStore } from '../domain/ports';
import type { AuditEntry, PrivacyAction, Statement } from '../domain/records';
import type { UsageEvent } from '../domain/usage';
import type { AccountService, AccountView } from './accounts';
import { keyView } from './accounts';
import type { ErasureJobs } from './erasure-job';
import type { PersonalDataCipher } from './personal-data';
import type { SupportService, SupportTicketView } from './support';

export type Actor = AuditEntry['actor'];

export interface PrivacyDeps {
  accounts: AccountService;
  support: SupportService;
  accountsRepo: AccountsStore;
  keys: KeysStore;
  usage: UsageStore;
  billing: BillingStore;
  audit: PrivacyAuditStore;
  cipher: PersonalDataCipher;
  jobs: ErasureJobs;
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
    await this.audit(accountId, 'export', actor, {
      usageEvents: usage.length,
      keys: result.keys.length,
      statements: result.statements.length,
    });
    return result;
  }

  /** Correction of personal fields (email, company). */
  async correct(accountId: string, input: unknown, actor: Actor): Promise<AccountView> {
    const fields = (input ?? {}) as Record<string, unknown>;
    const allowed = Object.keys(fields).filter((k) => k === 'email' || k === 'company');
    if (allowed.length !== Object.keys(fields).length || !allowed.length)
      throw RouterError.invalidRequest('Correction takes email and/or company.', null, 'invalid_value');
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
   * Erasure, to the end, in this process (the CLI and tests; the API starts a job instead, see
   * erasure-job.ts): the account is marked erased first, its data key shredded, its keys, usage,
   * limit counters and support items deleted; billing stays for tax (§8), pseudonymized.
   */
  async erase(accountId: string, actor: Actor): Promise<Record<string, number>> {
    const job = await this.d.jobs.start(accountId, actor, { queue: false });
    return (await this.d.jobs.runToEnd(job.jobId)).counts;
  }

  async auditTrail(accountId: string): Promise<AuditEntry[]> {
    return this.d.audit.list(accountId);
  }
}
