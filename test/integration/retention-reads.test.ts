/**
 * Expired means gone (policy §8): DynamoDB deletes items whose TTL has passed only eventually
 * (typically within days), so every read path must treat such an item as absent. Against DynamoDB
 * Local, each repository writes one item that is already past its TTL and one that is not, through
 * its own write path (a retention period in the past), and every read path must return the live
 * item and never the expired one.
 */

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AccountRecord, Statement } from '../../lambdas/domain/records';
import type { UsageEvent } from '../../lambdas/domain/usage';
import { createTables, type LocalDynamo, startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { AccountsRepo } from '../../lambdas/store/accounts-repo';
import { PrivacyAuditRepo } from '../../lambdas/store/audit-repo';
import { BillingRepo } from '../../lambdas/store/billing-repo';
import { DataKeysRepo } from '../../lambdas/store/data-keys-repo';
import { documentClient } from '../../lambdas/store/dynamo';
import { KeysRepo } from '../../lambdas/store/keys-repo';
import { SupportRepo } from '../../lambdas/store/support-repo';
import { type TableNames, tableNamesFromEnv } from '../../lambdas/store/tables';
import { UsageRepo } from '../../lambdas/store/usage-repo';
import { usageEventOf } from '../helpers/usage-records';

let dynamo: LocalDynamo;
let db: ReturnType<typeof documentClient>;
let tables: TableNames;
const DAY = 86_400;
const nowSec = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  dynamo = await startDynamoLocal();
  tables = tableNamesFromEnv({ CTR_TABLE_PREFIX: 'ret-' });
  await createTables(dynamo.endpoint, tables);
  db = documentClient({ endpoint: dynamo.endpoint, region: 'us-east-1' });
});

afterAll(async () => {
  await dynamo?.stop();
});

const usageEvent = (accountId: string, requestId: string, at: Date, servedModel: string): UsageEvent =>
  usageEventOf({
    accountId,
    requestId,
    at: at.toISOString(),
    requestedModel: servedModel,
    servedModel,
    upstreamModel: 'm',
    promptTokens: 3,
    completionTokens: 4,
  });

const account = (accountId: string): AccountRecord =>
  ({ accountId, status: 'active', createdAt: new Date().toISOString(), limits: {}, flags: {} }) as AccountRecord;

describe('expired items are gone on every read path (§8)', () => {
  it('accounts: get and list skip an account past its grace period', async () => {
    const accounts = new AccountsRepo(db, tables.accounts);
    await accounts.create(account('acct-live'));
    await accounts.create(account('acct-gone'));
    await accounts.close('acct-gone', -1);

    expect(await accounts.get('acct-live')).toMatchObject({ accountId: 'acct-live' });
    expect(await accounts.get('acct-gone')).toBeUndefined();
    expect((await accounts.list()).map((a) => a.accountId)).toEqual(['acct-live']);
  });

  it('API keys: lookup by secret, by id and by account skip expired keys', async () => {
    const keys = new KeysRepo(db, tables.apiKeys);
    const live = await keys.create('acct-k', 'live');
    const gone = await keys.create('acct-k-gone', 'gone');
    // Closing an account revokes its keys and gives them the account's TTL; here it has passed.
    await keys.expireByAccount('acct-k-gone', nowSec() - 60);

    expect(await keys.findActiveBySecret(live.secret)).toMatchObject({ keyId: live.record.keyId });
    expect(await keys.findActiveBySecret(gone.secret)).toBeUndefined();
    expect(await keys.getById(live.record.keyId)).toMatchObject({ keyId: live.record.keyId });
    expect(await keys.getById(gone.record.keyId)).toBeUndefined();
    expect((await keys.listByAccount('acct-k')).map((k) => k.keyId)).toEqual([live.record.keyId]);
    expect(await keys.listByAccount('acct-k-gone')).toEqual([]);
  });

  it('usage: events, daily aggregates and service statistics skip records past the retention period', async () => {
    const now = new Date();
    const day = now.toISOString().slice(0, 10);
    await new UsageRepo(db, tables.usage, 730).record(usageEvent('acct-u', 'req-live', now, 'model-live'));
    // A retention period in the past gives the record, its aggregate and its statistic an expired TTL.
    await new UsageRepo(db, tables.usage, -1).record(usageEvent('acct-u-gone', 'req-gone', now, 'model-gone'));
    const usage = new UsageRepo(db, tables.usage, 730);

    expect((await usage.events('acct-u')).map((e) => e.requestId)).toEqual(['req-live']);
    expect(await usage.events('acct-u-gone')).toEqual([]);
    expect(await usage.daily('acct-u', day, day)).toHaveLength(1);
    expect(await usage.daily('acct-u-gone', day, day)).toEqual([]);
    expect((await usage.stats(day)).map((s) => s.model)).toEqual(['model-live']);
  });

  it('billing: get and list skip statements past the retention period', async () => {
    const statement = (accountId: string): Statement => ({
      accountId,
      month: '2026-01',
      generatedAt: new Date().toISOString(),
      lines: [],
      totalRequests: 0,
      totalCostNanoUsd: 0,
    });
    await new BillingRepo(db, tables.billing, 2555).put(statement('acct-b'));
    await new BillingRepo(db, tables.billing, -3000).put(statement('acct-b-gone'));
    const billing = new BillingRepo(db, tables.billing, 2555);

    expect(await billing.get('acct-b', '2026-01')).toMatchObject({ accountId: 'acct-b' });
    expect(await billing.get('acct-b-gone', '2026-01')).toBeUndefined();
    expect(await billing.list('acct-b')).toHaveLength(1);
    expect(await billing.list('acct-b-gone')).toEqual([]);
  });

  it('support: get and list skip tickets resolved longer ago than the retention period', async () => {
    const first = { at: new Date().toISOString(), from: 'customer' as const, sealed: 'sealed-text' };
    const support = new SupportRepo(db, tables.support, 30);
    const live = await support.open('acct-s', first);
    const gone = await support.open('acct-s', first);
    expect(await new SupportRepo(db, tables.support, -1).resolve('acct-s', gone.ticketId)).toBe(true);

    expect(await support.get('acct-s', live.ticketId)).toMatchObject({ ticketId: live.ticketId });
    expect(await support.get('acct-s', gone.ticketId)).toBeUndefined();
    expect((await support.list('acct-s')).map((t) => t.ticketId)).toEqual([live.ticketId]);
  });

  it('privacy audit: list skips entries past the retention period', async () => {
    const entry = (accountId: string) => ({
      accountId,
      action: 'export' as const,
      actor: 'operator' as const,
      at: new Date().toISOString(),
      outcome: 'done' as const,
      counts: {},
    });
    await new PrivacyAuditRepo(db, tables.privacyAudit, 2555).record(entry('acct-a'));
    await new PrivacyAuditRepo(db, tables.privacyAudit, -1).record(entry('acct-a-gone'));
    const audit = new PrivacyAuditRepo(db, tables.privacyAudit, 2555);

    expect(await audit.list('acct-a')).toHaveLength(1);
    expect(await audit.list('acct-a-gone')).toEqual([]);
  });

  it('data keys: a data key scheduled for deletion is unreadable once its TTL passed', async () => {
    const keys = new DataKeysRepo(db, tables.dataKeys);
    expect(await keys.put('acct-d', 'wrapped-live')).toBe(true);
    expect(await keys.put('acct-d-gone', 'wrapped-gone')).toBe(true);
    await keys.expire('acct-d-gone', nowSec() - DAY);

    expect(await keys.get('acct-d')).toBe('wrapped-live');
    expect(await keys.get('acct-d-gone')).toBeUndefined();
  });
});
