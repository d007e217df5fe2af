/**
 * Data-subject rights (policy §6) end to end against DynamoDB Local: export, correction,
 * restriction, objection, erasure by crypto-shredding, and the audit trail.
 */
import { GetCommand } from '@aws-sdk/lib-dynamodb';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { defaultConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';

let router: TestRouter;
const EMAIL = 'dana.person@example.org';
const COMPANY = 'Person Holdings';
const ask = { model: 'mock/echo-small', messages: [{ role: 'user' as const, content: 'hello' }] };

async function adminFetch(path: string, init: RequestInit = {}): Promise<{ status: number; body: any }> {
  const res = await fetch(`${router.baseUrl.replace(/\/v1$/, '')}${path}`, {
    ...init,
    headers: { 'content-type': 'application/json', ...(init.headers ?? {}) },
  });
  return { status: res.status, body: await res.json() };
}

async function useAccount(accountId: string, requests = 2): Promise<string> {
  await router.accounts.createAccount({ accountId, email: EMAIL, company: COMPANY, limits: { monthlyBudgetUsd: 5, rpm: 100 } });
  const key = await router.createKey(accountId);
  for (let i = 0; i < requests; i++) await router.client(key).chat.completions.create(ask);
  await vi.waitFor(async () => expect((await router.stack.runtime.usage.events(accountId)).length).toBe(requests), { timeout: 10_000 });
  await router.accounts.statement(accountId, new Date().toISOString().slice(0, 7));
  return key;
}

beforeAll(async () => {
  router = await startTestRouter(defaultConfig());
});

afterAll(async () => {
  await router?.stop();
});

describe('data-subject rights', () => {
  it('export is machine-readable and holds everything about the account', async () => {
    const key = await useAccount('acct-export');
    // The key holder exports its own account; the IP address is decrypted for the export only.
    const res = await fetch(`${router.baseUrl}/privacy/export`, { headers: { authorization: `Bearer ${key}` } });
    expect(res.status).toBe(200);
    const exported = (await res.json()) as any;
    expect(exported.format).toBe('ctr.account-export/1');
    expect(exported.account).toMatchObject({ accountId: 'acct-export', email: EMAIL, company: COMPANY, personalDataReadable: true });
    expect(exported.keys).toHaveLength(1);
    expect(exported.keys[0]).not.toHaveProperty('key');
    expect(exported.usage).toHaveLength(2);
    expect(exported.usage[0]).toMatchObject({ accountId: 'acct-export', servedModel: 'mock/echo-small', ipAddress: '127.0.0.1' });
    expect(exported.statements).toHaveLength(1);
    // The operator's export of the same account matches, and both are audited.
    const admin = await adminFetch('/admin/accounts/acct-export/export');
    expect(admin.body.usage).toEqual(exported.usage);
    expect(admin.body.privacyRequests.map((e: { action: string; actor: string }) => [e.action, e.actor])).toEqual([
      ['export', 'key-holder'],
    ]);
    // Stored usage holds the IP only sealed.
    const raw = await router.dumpAllTables();
    expect(raw).not.toContain(EMAIL);
    expect(raw).not.toContain(COMPANY);
    expect(raw).not.toMatch(/"127\.0\.0\.1"/);
  });

  it('correction updates the personal fields, sealed again', async () => {
    const key = await useAccount('acct-correct', 0);
    const res = await fetch(`${router.baseUrl}/privacy/correct`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ email: 'new.address@example.org' }),
    });
    expect(res.status).toBe(200);
    expect(await router.accounts.getAccount('acct-correct')).toMatchObject({ email: 'new.address@example.org', company: COMPANY });
    expect(await router.dumpAllTables()).not.toContain('new.address@example.org');
    const bad = await fetch(`${router.baseUrl}/privacy/correct`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ status: 'active' }),
    });
    expect(bad.status).toBe(400);
  });

  it('restriction refuses the account keys and objection excludes it from analytics', async () => {
    const key = await useAccount('acct-restrict', 1);
    const day = new Date().toISOString().slice(0, 10);
    const count = async () => (await router.stack.runtime.usage.stats(day)).find((s) => s.model === 'mock/echo-small')?.requests ?? 0;

    // Objection: later requests are metered for the account but not counted in the anonymized statistics.
    await router.stack.runtime.usage.idle(); // the statistics gather a moment after the records (a linger)
    const before = await count();
    expect((await adminFetch('/admin/accounts/acct-restrict/object', { method: 'POST', body: '{"on":true}' })).status).toBe(200);
    await router.accounts.createKey('acct-restrict', {}); // warm path unchanged
    const fresh = await router.createKey('acct-restrict'); // a key not cached with the old flags
    await router.client(fresh).chat.completions.create(ask);
    await vi.waitFor(async () => expect((await router.stack.runtime.usage.events('acct-restrict')).length).toBe(2), { timeout: 10_000 });
    await router.stack.runtime.usage.idle();
    expect(await count()).toBe(before);

    // Restriction: the key holder asks; the account's keys are then refused, but its rights stay available.
    const restrict = await fetch(`${router.baseUrl}/privacy/restrict`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: '{"on":true}',
    });
    expect(restrict.status).toBe(200);
    const another = await router.accounts.createKey('acct-restrict', {});
    const err = await router
      .client(another.key)
      .chat.completions.create(ask)
      .catch((e) => e);
    expect(err).toBeInstanceOf(OpenAI.PermissionDeniedError);
    expect(err.code).toBe('processing_restricted');
    expect((await fetch(`${router.baseUrl}/privacy/export`, { headers: { authorization: `Bearer ${another.key}` } })).status).toBe(200);
    // Lifted by the operator.
    await adminFetch('/admin/accounts/acct-restrict/restrict', { method: 'POST', body: '{"on":false}' });
    const third = await router.accounts.createKey('acct-restrict', {});
    await expect(router.client(third.key).chat.completions.create(ask)).resolves.toBeDefined();
  });

  it('erasure leaves nothing readable but pseudonymized billing lines', async () => {
    const key = await useAccount('acct-erase', 3);
    const sealedIp = (await router.stack.runtime.usage.events('acct-erase'))[0]!.ipSealed!;
    expect(sealedIp).toBeTruthy();

    const unconfirmed = await fetch(`${router.baseUrl}/privacy/erase`, { method: 'POST', headers: { authorization: `Bearer ${key}` } });
    expect(unconfirmed.status).toBe(400);
    const res = await fetch(`${router.baseUrl}/privacy/erase`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ confirm: 'acct-erase' }),
    });
    // 202 at once: the account is marked erased first; a job deletes its data and reports completion.
    expect(res.status).toBe(202);
    const started = (await res.json()) as { jobId: string; status: string };
    expect(started).toMatchObject({ status: 'running' });
    const stored = await router.db.send(new GetCommand({ TableName: router.tables.accounts, Key: { pk: 'acct#acct-erase' } }));
    expect(stored.Item?.erasedAt).toBeTruthy();
    await router.stack.runtime.localJobs?.idle();
    const jobRes = await fetch(`${router.baseUrl}/privacy/erasure-jobs/${started.jobId}`);
    expect(jobRes.status).toBe(200);
    const job = (await jobRes.json()) as { status: string; counts: Record<string, number>; accountId?: string };
    expect(job.status).toBe('done');
    expect(job).not.toHaveProperty('accountId');
    expect((await fetch(`${router.baseUrl}/privacy/erasure-jobs/erase_unknown`)).status).toBe(404);
    const { counts } = job;
    expect(counts).toMatchObject({ keysDeleted: 1, statementsPseudonymized: 1 });
    expect(counts.usageItemsDeleted).toBeGreaterThanOrEqual(4); // 3 events + the daily aggregate
    expect(counts.limitItemsDeleted).toBeGreaterThan(0);

    // Nothing personal is readable anywhere: not the profile, not a copy of a sealed IP (a replica or backup).
    const view = await router.accounts.getAccount('acct-erase');
    expect(view).toMatchObject({ status: 'closed', personalDataReadable: false });
    expect(view).not.toHaveProperty('email');
    expect(
      await (router.stack.runtime.accounts as unknown as { d: { cipher: { open(a: string, s: string): Promise<unknown> } } }).d.cipher.open(
        'acct-erase',
        sealedIp,
      ),
    ).toBeUndefined();
    expect(await router.stack.runtime.usage.events('acct-erase')).toEqual([]);
    expect(await router.accounts.listKeys('acct-erase')).toEqual([]);
    const dump = await router.dumpAllTables();
    const mentions = dump.split(/(?<=\}),(?=\{)|\n/).filter((item) => item.includes('acct-erase'));
    // What remains: the tombstone account item (no personal fields), pseudonymized statements, the audit trail and the job's counts.
    for (const item of mentions) {
      expect(item).not.toContain(EMAIL);
      expect(item).toMatch(/"pseudonymized":true|"erasedAt"|"action":"erasure"|"jobId":"erase_/);
    }
    const [statement] = await (
      router.stack.runtime.accounts as unknown as { d: { billing: { list(a: string): Promise<Array<Record<string, unknown>>> } } }
    ).d.billing.list('acct-erase');
    expect(statement).toMatchObject({ pseudonymized: true, totalRequests: 3 });
    // A request that was still in flight during the erasure leaves no usage record behind.
    const late = await router.stack.runtime.usage.record({
      ...(await router.stack.runtime.usage.events('acct-export'))[0]!,
      accountId: 'acct-erase',
      requestId: 'req_late',
    });
    expect(late).toBe(false);
    expect(await router.stack.runtime.usage.events('acct-erase')).toEqual([]);
    // The key is gone (warm functions that cached it drop it within the revocation bound, KEY_CACHE_TTL_MS).
    expect(await router.accounts.resolveCaller(key)).toBeUndefined();
  });

  it('closing an account keeps it for the grace period, then its keys, profile and data key expire', async () => {
    await useAccount('acct-close', 1);
    await router.accounts.closeAccount('acct-close');
    const grace = router.stack.runtime.config.retention.accountGraceDays * 86_400;
    const items = (await router.dumpAllTables()).split('\n').flatMap((t) => JSON.parse(t) as Array<Record<string, any>>);
    const account = items.find((i) => i.pk === 'acct#acct-close' && i.status === 'closed')!;
    const dataKey = items.find((i) => i.pk === 'acct#acct-close' && 'wrapped' in i)!;
    const keys = items.filter((i) => i.accountId === 'acct-close' && String(i.pk).startsWith('hash#'));
    for (const item of [account, dataKey, ...keys]) {
      expect(item.expiresAt).toBeGreaterThan(Date.now() / 1000 + grace - 60);
      expect(item.expiresAt).toBeLessThanOrEqual(Date.now() / 1000 + grace + 5);
    }
    expect(keys.every((k) => k.status === 'revoked')).toBe(true);
  });

  it('every privacy request is audited without personal content', async () => {
    await useAccount('acct-audit', 1);
    await adminFetch('/admin/accounts/acct-audit/export');
    await adminFetch('/admin/accounts/acct-audit/correct', { method: 'POST', body: JSON.stringify({ company: 'Renamed Ltd' }) });
    await adminFetch('/admin/accounts/acct-audit/object', { method: 'POST', body: '{"on":true}' });
    await adminFetch('/admin/accounts/acct-audit/restrict', { method: 'POST', body: '{"on":true}' });
    const erase = await adminFetch('/admin/accounts/acct-audit/erase', { method: 'POST' });
    expect(erase.status).toBe(202);
    // The erasure is audited when its job completes.
    await router.stack.runtime.localJobs?.idle();
    expect((await adminFetch(`/admin/erasure-jobs/${(erase.body as { jobId: string }).jobId}`)).body).toMatchObject({
      status: 'done',
      accountId: 'acct-audit',
    });
    const trail = (await adminFetch('/admin/accounts/acct-audit/privacy-requests')).body.data as Array<{
      action: string;
      actor: string;
      outcome: string;
    }>;
    expect(trail.map((e) => e.action)).toEqual(['export', 'correction', 'objection', 'restriction', 'erasure']);
    expect(trail.every((e) => e.actor === 'operator' && e.outcome === 'done')).toBe(true);
    const text = JSON.stringify(trail);
    expect(text).not.toContain(EMAIL);
    expect(text).not.toContain('Renamed Ltd');
    expect(text).not.toContain(COMPANY);
  });
});
