/**
 * What the tables hold, item by item (policy §2 what is collected, §8 retention), against DynamoDB
 * Local. One of every item kind is written through the product's own writers — the routes, the
 * services behind the admin API and the CLI, and the repositories — with the clock fixed at an
 * instant of the test's choosing. Then every item of every table is read back raw and:
 *
 * - each attribute must be on its table's allow-list (test/helpers/table-allow-list.ts), with a value
 *   of its listed kind: ids, enums, numbers, times, catalog names, sealed ciphertext, never free text;
 * - each item's `expiresAt` must be the retention period of its class (from the config, §8),
 *   counted from the fixed clock.
 */
import { ScanCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkBudgetAlerts } from '../../lambdas/core/budget-alerts';
import { markOnce } from '../../lambdas/store/alert-markers';
import { HealthRepo } from '../../lambdas/store/health-repo';
import { RESERVATION_TTL_SECONDS } from '../../lambdas/store/limits-repo';
import { TABLES, type TableId } from '../../lambdas/store/tables';
import { threeProviderConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';
import { allowListBreaches, type CatalogNames, ITEM_KINDS } from '../helpers/table-allow-list';

/** The fixed clock: mid-month, mid-day, with seconds, so no period boundary hides an error. */
const NOW = new Date('2031-05-14T10:21:37.000Z');
const NOW_S = Math.floor(NOW.getTime() / 1000);
const DAY = 86_400;
const MINUTE = Math.floor(NOW_S / 60);

let router: TestRouter;
let up: MockUpstream;
const items = {} as Record<TableId, Record<string, any>[]>;

async function scan(table: string): Promise<Record<string, any>[]> {
  const out: Record<string, any>[] = [];
  let start: Record<string, unknown> | undefined;
  for (let page = 0; page < 100; page++) {
    const res = await router.db.send(new ScanCommand({ TableName: table, ExclusiveStartKey: start, ConsistentRead: true }));
    out.push(...(res.Items ?? []));
    start = res.LastEvaluatedKey;
    if (!start) break;
  }
  return out;
}

beforeAll(async () => {
  up = await startOpenAIUpstream('cheap');
  up.usage = { prompt: 12, completion: 6, cached: 0 };
  router = await startTestRouter(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url }), {
    CHEAP_KEY: 'k1',
    MID_KEY: 'k2',
    DEAR_KEY: 'k3',
  });
  // Every writer reads this clock from here on (Date only: timers and sockets run as usual).
  vi.useFakeTimers({ toFake: ['Date'], now: NOW });
  const rt = router.stack.runtime;
  const limits = { dailyBudgetUsd: 5, monthlyBudgetUsd: 50, rpm: 1000, tpm: 1_000_000 };

  // Accounts (with personal fields), keys with limits, a rotation and a revocation.
  await rt.accounts.createAccount({ accountId: 'acct-items', email: 'person@example.com', company: 'Example Ltd', limits });
  const created = await rt.accounts.createKey('acct-items', {
    name: 'ci key',
    validUntil: '2032-01-01T00:00:00.000Z',
    limits: { rpm: 500 },
  });
  const rotated = await rt.accounts.rotateKey(created.keyId);
  const spare = await rt.accounts.createKey('acct-items', { name: 'spare' });
  await rt.accounts.revokeKey(spare.keyId);

  // Chat, buffered and streamed: usage events, daily aggregates, statistics, rate windows, budget counters, settled markers.
  const client = router.client(rotated.key);
  const messages = [{ role: 'user' as const, content: 'What is the answer?' }];
  await client.chat.completions.create({ model: 'acme/llama-test', messages, max_tokens: 20 });
  for await (const _ of await client.chat.completions.create({ model: 'acme/llama-test', messages, max_tokens: 20, stream: true })) void _;
  await vi.waitFor(async () => expect((await rt.usage.events('acct-items')).length).toBe(2), { timeout: 15_000 });
  // Refusals, counted per account and service-wide: a model that does not exist, a key that does not.
  await client.chat.completions.create({ model: 'nosuch/model', messages }).catch(() => undefined);
  await router
    .client('sk-ctr-not-a-key')
    .chat.completions.create({ model: 'acme/llama-test', messages })
    .catch(() => undefined);
  await rt.refusals.flush();
  // A reservation left unsettled (a crashed request).
  const caller = await rt.accounts.resolveCaller(rotated.key);
  await rt.limits.reserve(caller!, 'req-crashed', 1_000, 10);
  // Offer health, through its repository (the limits table, keep 300 s).
  await new HealthRepo(router.db, router.tables.limits, 300).add(
    'us-east-1',
    MINUTE,
    new Map([
      ['cheap:llama-cheap', { attempts: 3, failures: 1, timeouts: 0, ttftMsSum: 420, ttftCount: 2, outputTokens: 40, generationMs: 900 }],
    ]),
  );

  // A budget alert's once-only marker, written by the product's check (the budget read is a stub at 60 %).
  await checkBudgetAlerts(
    {
      limits: {
        budgetStatus: async () => [
          { scope: 'account', period: 'month#2031-05', limitUsd: 50, committedUsd: 30, spentUsd: 30, remainingUsd: 20 },
        ],
      },
      markOnce: (key, expiresAtSec) => markOnce(router.db, router.tables.limits, key, expiresAtSec),
      publish: async () => undefined,
      thresholdsPercent: [50],
    },
    caller!,
  );

  // Statements: a finished month and the current one.
  await rt.accounts.statement('acct-items', '2031-04');
  await rt.accounts.statement('acct-items', '2031-05');
  // Support: one ticket resolved, one still open.
  const ticket = await rt.support.open('acct-items', { text: 'My invoice is wrong.' });
  await rt.support.reply('acct-items', ticket.ticketId, { from: 'operator', text: 'Fixed.' });
  await rt.support.resolve('acct-items', ticket.ticketId);
  await rt.support.open('acct-items', { text: 'Another question.' });
  // Data-subject rights: export, restriction, objection (each audited).
  await rt.privacy.exportAccount('acct-items', 'key-holder');
  await rt.privacy.restrict('acct-items', true, 'operator');
  await rt.privacy.restrict('acct-items', false, 'operator');
  await rt.privacy.object('acct-items', true, 'key-holder');

  // A closed account (grace period) and an erased one (tombstone, pseudonymized statement).
  await rt.accounts.createAccount({ accountId: 'acct-closed', email: 'closed@example.com' });
  await rt.accounts.createKey('acct-closed', { name: 'old' });
  await rt.accounts.closeAccount('acct-closed');
  await rt.accounts.createAccount({ accountId: 'acct-erased', company: 'Gone Ltd' });
  await rt.accounts.statement('acct-erased', '2031-04');
  await rt.privacy.erase('acct-erased', 'operator');
  await rt.localJobs?.idle();

  for (const t of TABLES) items[t.id] = await scan(router.tables[t.id]);
}, 120_000);

afterAll(async () => {
  vi.useRealTimers();
  await router?.stop();
  await up?.close();
});

describe('table items', () => {
  it('every attribute of every item is on its table allow-list, with a value that cannot hold content', () => {
    const config = router.stack.runtime.config;
    const names: CatalogNames = {
      models: new Set(config.models.map((m) => m.id)),
      providers: new Set(config.providers.map((p) => p.id)),
      upstreamModels: new Set(config.models.flatMap((m) => m.offers.map((o) => o.upstreamModel))),
    };
    const breaches: string[] = [];
    for (const t of TABLES) {
      const found = allowListBreaches(t.id, items[t.id], names);
      breaches.push(...found.breaches);
      // One of every item kind was written: an allow-list entry no writer produces is not evidence.
      const expected = ITEM_KINDS.filter((k) => k.table === t.id).map((k) => k.name);
      expect([...found.kinds].sort(), t.id).toEqual([...expected].sort());
    }
    expect(breaches).toEqual([]);
  });

  it("every writer sets its item's expiry to its retention class's period, counted from the clock", () => {
    const r = router.stack.runtime.config.retention;
    const grace = NOW_S + r.accountGraceDays * DAY;
    const expiry = (table: TableId, pick: (i: Record<string, any>) => boolean) => items[table].filter(pick).map((i) => i.expiresAt);
    const startsWith = (attr: string, prefix: string) => (i: Record<string, any>) => String(i[attr]).startsWith(prefix);

    // Accounts, keys and data keys: kept while active (no expiry), then the grace period after closure or erasure.
    expect(expiry('accounts', (i) => i.accountId === 'acct-items')).toEqual([undefined]);
    expect(expiry('accounts', (i) => i.accountId !== 'acct-items')).toEqual([grace, grace]);
    expect(expiry('apiKeys', (i) => i.accountId === 'acct-items')).toEqual([undefined, undefined, undefined]);
    expect(expiry('apiKeys', (i) => i.accountId === 'acct-closed')).toEqual([grace]);
    expect(expiry('dataKeys', (i) => i.pk === 'acct#acct-items')).toEqual([undefined]);
    expect(expiry('dataKeys', (i) => i.pk === 'acct#acct-closed')).toEqual([grace]);
    // Erasure destroyed the erased account's data key.
    expect(expiry('dataKeys', (i) => i.pk === 'acct#acct-erased')).toEqual([]);

    // Usage: events, daily aggregates and statistics, usageDays from the request's time.
    const usage = items.usage.map((i) => i.expiresAt);
    expect(usage.length).toBeGreaterThanOrEqual(4);
    expect(new Set(usage)).toEqual(new Set([NOW_S + r.usageDays * DAY]));

    // Billing: billingDays from the end of the billed month, or from now for a month already over.
    const monthEnd = Date.UTC(2031, 5, 1) / 1000;
    expect(expiry('billing', (i) => i.sk === 'month#2031-05')).toEqual([monthEnd + r.billingDays * DAY]);
    expect(expiry('billing', (i) => i.sk === 'month#2031-04')).toEqual([NOW_S + r.billingDays * DAY, NOW_S + r.billingDays * DAY]);

    // Privacy audit: privacyAuditDays from the request.
    expect(items.privacyAudit.length).toBeGreaterThanOrEqual(5);
    expect(new Set(items.privacyAudit.map((i) => i.expiresAt))).toEqual(new Set([NOW_S + r.privacyAuditDays * DAY]));

    // Support: kept while open, supportResolvedDays after resolution.
    expect(expiry('support', (i) => i.status === 'open')).toEqual([undefined]);
    expect(expiry('support', (i) => i.status === 'resolved')).toEqual([NOW_S + r.supportResolvedDays * DAY]);

    // Limits: rate windows rateLimitSeconds after their minute ends; health the same after its minute;
    // budget counters a day after their period ends; reservations after the longest a request can run,
    // plus 35 days; settled markers two days.
    const windowEnd = (MINUTE + 1) * 60;
    expect(new Set(expiry('limits', startsWith('pk', 'rate#')))).toEqual(new Set([windowEnd + r.rateLimitSeconds]));
    expect(expiry('limits', startsWith('pk', 'health#'))).toEqual([windowEnd + 300]);
    expect(new Set(expiry('limits', startsWith('sk', 'day#')))).toEqual(new Set([Date.UTC(2031, 4, 15) / 1000 + DAY]));
    expect(new Set(expiry('limits', startsWith('sk', 'month#')))).toEqual(new Set([monthEnd + DAY]));
    expect(expiry('limits', startsWith('pk', 'resv#'))).toEqual([NOW_S + RESERVATION_TTL_SECONDS + 35 * DAY]);
    // One marker per budget write-back: the two requests' settles may share one.
    const settled = expiry('limits', startsWith('pk', 'settled#'));
    expect(settled.length).toBeGreaterThanOrEqual(1);
    expect(settled.length).toBeLessThanOrEqual(2);
    expect(new Set(settled)).toEqual(new Set([NOW_S + 2 * DAY]));
    // Budget-alert markers outlive the longest period (a month) with a margin: 40 days; erasure fences two days.
    expect(expiry('limits', startsWith('pk', 'alert#'))).toEqual([NOW_S + 40 * DAY]);
    expect(expiry('limits', startsWith('pk', 'erased#'))).toEqual([NOW_S + 2 * DAY]);
  });
});
