/**
 * `ctr console` in a real headless Chromium: the page loads with no console errors, its charts hold
 * the numbers the JSON API (and the AccountService behind it) returns for every grouping, and creating,
 * rotating and revoking a key or saving limits through the page takes effect in the store. Its guards
 * (Host, Origin, session token) refuse forged requests. The key holder's page (GET /v1/dashboard)
 * shows the numbers GET /v1/usage and GET /v1/key return for the pasted key, and keeps the key out of
 * the URL and of storage.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { adminApiBackend } from '../../lambdas/console/admin-api-backend';
import { handleApi } from '../../lambdas/console/api';
import { type ConsoleServer, startConsole } from '../../lambdas/console/server';
import { launchChromium, openPage } from '../helpers/browser';
import { threeProviderConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';

let up: MockUpstream;
let router: TestRouter;
let consoleServer: ConsoleServer;
let browser: Browser;
let page: Page;
let errors: string[];
let firstKey: string;
const GROUPS = ['hour', 'day', 'model', 'provider', 'key'] as const;
const today = new Date().toISOString().slice(0, 10);

/** What Chart.js holds for each chart, read from the chart instances in the page. */
const chartData = (p: Page) =>
  p.evaluate(() => {
    // Runs in the page: the browser's globals, typed loosely here (the project compiles without the DOM lib).
    const w = globalThis as any;
    const Chart = w.Chart as { getChart(c: unknown): { data: { labels: string[]; datasets: Array<{ label: string; data: number[] }> } } };
    const out: Record<string, { labels: string[]; datasets: Array<{ label: string; data: number[] }> }> = {};
    for (const id of ['chart-requests', 'chart-tokens', 'chart-spend', 'chart-savings', 'chart-trouble', 'chart-latency']) {
      const c = Chart.getChart(w.document.getElementById(id));
      out[id] = { labels: [...c.data.labels], datasets: c.data.datasets.map((d) => ({ label: d.label, data: [...d.data] })) };
    }
    return out;
  });

beforeAll(async () => {
  browser = await launchChromium();
  up = await startOpenAIUpstream('cheap');
  router = await startTestRouter(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url }), {
    CHEAP_KEY: 'k1',
    MID_KEY: 'k2',
    DEAR_KEY: 'k3',
  });
  await router.accounts.createAccount({ accountId: 'acme', limits: { monthlyBudgetUsd: 5 } });
  const first = await router.createKey('acme', { name: 'ci' });
  firstKey = first;
  const second = await router.createKey('acme', { name: 'batch' });
  const ask = (key: string, model: string) =>
    router.client(key).chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 });
  await ask(first, 'acme/llama-test');
  await ask(first, 'mock/echo-small');
  await ask(second, 'acme/llama-test');
  await vi.waitFor(async () => expect((await router.accounts.usage('acme', { from: today, to: today, by: 'day' }))[0]?.requests).toBe(3), {
    timeout: 10_000,
  });
  consoleServer = await startConsole({ backend: router.accounts, where: 'DynamoDB Local (test)' });
  ({ page, errors } = await openPage(browser));
});

afterAll(async () => {
  await browser?.close();
  await consoleServer?.close();
  await router?.stop();
  await up?.close();
});

describe('ctr console in Chromium', () => {
  it('loads with no console errors and charts the API numbers for every grouping', async () => {
    await page.goto(consoleServer.url);
    await page.waitForSelector('body[data-ready="true"]');
    expect(await page.textContent('#account-title')).toBe('acme');

    for (const by of GROUPS) {
      await page.click(`#group-tabs button[data-by="${by}"]`);
      const api = (await (
        await fetch(`${consoleServer.url}api/accounts/acme/usage?by=${by}&from=${today.slice(0, 8)}01&to=${today}`)
      ).json()) as { data: any[] };
      await page.waitForSelector(`body[data-usage-loaded="acme|${by}|${api.data.length}"]`);
      // The console's endpoint returns exactly what the AccountService computes.
      expect(api.data).toEqual(await router.accounts.usage('acme', { from: `${today.slice(0, 8)}01`, to: today, by }));
      const charts = await chartData(page);
      // Keys are labelled by name and the end of their id (two keys may share a name).
      const names = new Map((await router.accounts.listKeys('acme')).map((k) => [k.keyId, k.name]));
      const labels = api.data.map((r) => (by === 'key' ? `${names.get(r.group)} (…${r.group.slice(-4)})` : r.group));
      for (const c of Object.values(charts)) expect(c.labels).toEqual(labels);
      expect(charts['chart-requests']!.datasets[0]!.data).toEqual(api.data.map((r) => r.requests));
      expect(charts['chart-tokens']!.datasets.map((d) => d.data)).toEqual([
        api.data.map((r) => r.promptTokens),
        api.data.map((r) => r.completionTokens),
      ]);
      expect(charts['chart-spend']!.datasets[0]!.data).toEqual(api.data.map((r) => r.costUsd));
      expect(charts['chart-savings']!.datasets[0]!.data).toEqual(api.data.map((r) => r.savingsUsd));
      expect(charts['chart-trouble']!.datasets.map((d) => d.data)).toEqual([
        api.data.map((r) => r.refusals),
        api.data.map((r) => r.errors),
      ]);
      expect(charts['chart-latency']!.datasets.map((d) => d.data)).toEqual([
        api.data.map((r) => r.latencyMs.p50),
        api.data.map((r) => r.latencyMs.p95),
        api.data.map((r) => r.ttftMs.p50),
      ]);
    }
    const byModel = await router.accounts.usage('acme', { from: today, to: today, by: 'model' });
    expect(byModel.map((r) => r.group)).toEqual(['acme/llama-test', 'mock/echo-small']);
    expect(byModel[0]!.savingsUsd).toBeGreaterThan(0);

    await page.click('#group-tabs button[data-by="model"]');
    await page.screenshot({ path: join(process.env.CTR_SCREENSHOT_DIR ?? tmpdir(), 'ctr-console.png'), fullPage: true });
    expect(errors).toEqual([]);
  });

  it('creates, rotates and revokes a key and saves limits through the page, and the store has them', async () => {
    page.on('dialog', (d) => void d.accept());
    await page.fill('#new-key-name', 'from-the-console');
    await page.click('#create-key');
    await page.waitForSelector('#secret:not([hidden])');
    const createdId = (await page.textContent('#secret-key-id'))!;
    const secret = (await page.textContent('#secret-value'))!;
    expect(secret).toMatch(/^sk-ctr-/);
    const created = (await router.accounts.listKeys('acme')).find((k) => k.keyId === createdId)!;
    expect(created).toMatchObject({ name: 'from-the-console', status: 'active' });
    expect((await router.accounts.resolveCaller(secret))?.keyId).toBe(createdId);

    await page.click(`tr[data-key-id="${createdId}"] button[data-action="rotate"]`);
    await vi.waitFor(async () => expect(await page.textContent('#secret-key-id')).not.toBe(createdId), { timeout: 10_000 });
    const rotatedId = (await page.textContent('#secret-key-id'))!;
    const afterRotate = await router.accounts.listKeys('acme');
    expect(afterRotate.find((k) => k.keyId === createdId)?.status).toBe('revoked');
    expect(afterRotate.find((k) => k.keyId === rotatedId)).toMatchObject({
      status: 'active',
      rotatedFrom: createdId,
      name: 'from-the-console',
    });

    await page.click(`tr[data-key-id="${rotatedId}"] button[data-action="revoke"]`);
    await page.waitForSelector(`tr[data-key-id="${rotatedId}"] td.status-revoked`);
    expect((await router.accounts.listKeys('acme')).find((k) => k.keyId === rotatedId)?.status).toBe('revoked');

    await page.fill('#limit-rpm', '120');
    await page.fill('#limit-monthly', '7.5');
    await page.click('#save-limits');
    await vi.waitFor(
      async () => expect((await router.accounts.getAccount('acme')).limits).toMatchObject({ rpm: 120, monthlyBudgetUsd: 7.5 }),
      { timeout: 10_000 },
    );

    await page.fill('#new-account-id', 'globex');
    await page.fill('#new-account-budget', '3');
    await page.click('#create-account');
    await page.waitForSelector('tr[data-account-id="globex"]');
    expect((await router.accounts.getAccount('globex')).limits.monthlyBudgetUsd).toBe(3);
    expect(errors).toEqual([]);
  });

  it('refuses forged requests: another Host, another Origin, no session token', async () => {
    const { port } = consoleServer;
    const post = (headers: Record<string, string>) =>
      new Promise<number>((done, fail) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/api/accounts',
            headers: { 'content-type': 'application/json', ...headers },
            timeout: 5_000,
          },
          (res) => {
            res.resume();
            done(res.statusCode!);
          },
        );
        req.on('error', fail);
        req.end(JSON.stringify({ accountId: 'forged' }));
      });
    const html = await (await fetch(consoleServer.url)).text();
    const token = /name="ctr-csrf" content="([^"]+)"/.exec(html)![1]!;
    const origin = `http://127.0.0.1:${port}`;
    expect(await post({ host: `evil.example:${port}`, origin: `http://evil.example:${port}`, 'x-ctr-csrf': token })).toBe(421);
    expect(await post({ origin: 'http://evil.example', 'x-ctr-csrf': token })).toBe(403);
    expect(await post({ origin })).toBe(403);
    expect(await post({ origin, 'x-ctr-csrf': 'wrong' })).toBe(403);
    await expect(router.accounts.getAccount('forged')).rejects.toThrow(/No account/);
    // The same request with the page's token and origin goes through.
    expect(await post({ origin, 'x-ctr-csrf': token })).toBe(200);
    expect(consoleServer.server.address()).toMatchObject({ address: '127.0.0.1' });
  });
});

describe('the key holder page in Chromium', () => {
  it('shows the usage and limits the API returns for the pasted key, with no console errors, and keeps the key out of URL and storage', async () => {
    const { page: p, errors: pageErrors } = await openPage(browser);
    const response = await p.goto(`${router.baseUrl}/dashboard`);
    expect(response?.headers()['content-security-policy']).toMatch(/script-src 'sha256-/);
    await p.fill('#key', firstKey);
    await p.press('#key', 'Enter');
    await p.waitForSelector('body[data-loaded="true"]');

    const api = async (path: string) =>
      (await (await fetch(`${router.baseUrl}/${path}`, { headers: { authorization: `Bearer ${firstKey}` } })).json()) as { data: any };
    for (const [table, by] of [
      ['by-day', 'day'],
      ['by-model', 'model'],
    ] as const) {
      const rows = (await api(`usage?by=${by}`)).data as any[];
      const shown = await p.$$eval(`#${table} tbody tr`, (trs) => trs.map((tr) => ({ ...(tr as any).dataset })));
      expect(shown).toEqual(
        rows.map((r) => ({
          group: r.group,
          requests: String(r.requests),
          tokens: String(r.promptTokens + r.completionTokens),
          costUsd: String(r.costUsd),
          savingsUsd: String(r.savingsUsd),
        })),
      );
      expect(rows.length).toBeGreaterThan(0);
    }
    const status = (await api('key')).data;
    expect(await p.textContent('#who')).toBe(`Account acme, key ${status.keyId}`);
    const limits = await p.$$eval('#limits tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
    const l = status.limits.account;
    expect(limits[1]).toEqual([
      'account',
      String(l.rpm ?? 'none'),
      String(l.tpm ?? 'none'),
      l.dailyBudgetUsd === null ? 'none' : `$${l.dailyBudgetUsd.toFixed(2)}`,
      `$${l.monthlyBudgetUsd.toFixed(2)}`,
    ]);
    const budgets = await p.$$eval('#budgets tbody tr', (trs) => trs.length);
    expect(budgets).toBe(status.budgets.length);

    expect(p.url()).toBe(`${router.baseUrl}/dashboard`);
    expect(
      await p.evaluate(() => {
        const w = globalThis as any;
        return [w.localStorage.length, w.sessionStorage.length, w.document.cookie];
      }),
    ).toEqual([0, 0, '']);
    expect(await p.inputValue('#key')).toBe('');
    await p.screenshot({ path: join(process.env.CTR_SCREENSHOT_DIR ?? tmpdir(), 'ctr-dashboard.png'), fullPage: true });

    await p.click('#forget');
    expect(await p.isHidden('#data')).toBe(true);
    expect(pageErrors).toEqual([]);
    await p.close();
  });
});

describe('npx ctr console', () => {
  it('serves the page on 127.0.0.1 from the local store and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['bin/ctr.mjs', 'console', '--port', '0'], {
      env: { ...router.stack.env, PATH: process.env.PATH, CTR_DYNAMODB_ENDPOINT: router.stack.dynamo.endpoint },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    try {
      let stdout = '';
      child.stdout.on('data', (d) => (stdout += d));
      const url = await vi.waitFor(
        () => {
          const m = /Console: (http:\/\/127\.0\.0\.1:\d+\/)/.exec(stdout);
          if (!m) throw new Error('no URL yet');
          return m[1]!;
        },
        { timeout: 30_000, interval: 100 },
      );
      expect(await (await fetch(url)).text()).toContain('name="ctr-csrf"');
      const accounts = (await (await fetch(`${url}api/accounts`)).json()) as { data: Array<{ accountId: string }> };
      expect(accounts.data.map((a) => a.accountId)).toContain('acme');
      const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
      child.kill('SIGTERM');
      expect(await Promise.race([exited, new Promise((done) => setTimeout(() => done('still running'), 10_000))])).toBe(0);
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  });
});

describe('the console over the admin API', () => {
  const backend = () =>
    adminApiBackend(async (method, path, body) => {
      const res = await fetch(`${router.baseUrl.replace(/\/v1$/, '')}${path}`, {
        method,
        headers: { 'content-type': 'application/json' },
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(10_000),
      });
      return { status: res.status, body: await res.text() };
    });

  it('answers as the in-process service does, errors included', async () => {
    const remote = backend();
    expect(await remote.listAccounts()).toEqual(await router.accounts.listAccounts());
    for (const by of GROUPS) {
      const range = { from: `${today.slice(0, 8)}01`, to: today, by };
      expect(await remote.usage('acme', range)).toEqual(await router.accounts.usage('acme', range));
    }
    const created = await remote.createKey('acme', { name: 'over-admin-api' });
    const rotated = await remote.rotateKey(created.keyId);
    await remote.setKeyLimits(rotated.keyId, { rpm: 9 });
    await remote.revokeKey(rotated.keyId);
    const keys = await router.accounts.listKeys('acme');
    expect(keys.find((k) => k.keyId === created.keyId)?.status).toBe('revoked');
    expect(keys.find((k) => k.keyId === rotated.keyId)).toMatchObject({
      status: 'revoked',
      rotatedFrom: created.keyId,
      limits: { rpm: 9 },
    });

    const missing = await handleApi(remote, 'GET', '/api/accounts/nobody/keys', new URLSearchParams(), undefined);
    const local = await handleApi(router.accounts, 'GET', '/api/accounts/nobody/keys', new URLSearchParams(), undefined);
    expect(missing).toEqual(local);
    expect(missing.status).toBe(404);
    expect((await handleApi(remote, 'DELETE', '/api/accounts', new URLSearchParams(), undefined)).status).toBe(405);
    expect((await handleApi(remote, 'GET', '/api/accounts/acme/usage', new URLSearchParams({ by: 'week' }), undefined)).status).toBe(400);
  });

  it('serves the page with the same charts', async () => {
    const viaAdmin = await startConsole({ backend: backend(), where: 'admin API (test)' });
    const { page: p, errors: pageErrors } = await openPage(browser);
    try {
      await p.goto(viaAdmin.url);
      await p.waitForSelector('body[data-ready="true"]');
      await p.click('#group-tabs button[data-by="key"]');
      const rows = await router.accounts.usage('acme', { from: `${today.slice(0, 8)}01`, to: today, by: 'key' });
      await p.waitForSelector(`body[data-usage-loaded="acme|key|${rows.length}"]`);
      const charts = await chartData(p);
      const names = new Map((await router.accounts.listKeys('acme')).map((k) => [k.keyId, k.name]));
      expect(charts['chart-spend']).toEqual({
        labels: rows.map((r) => `${names.get(r.group)} (…${r.group.slice(-4)})`),
        datasets: [{ label: 'Spend (USD)', data: rows.map((r) => r.costUsd) }],
      });
      expect(pageErrors).toEqual([]);
    } finally {
      await p.close();
      await viaAdmin.close();
    }
  });
});

describe('the console shows trouble first', () => {
  it('shows refusals by reason, failures, latency, key limits and last use after mixed traffic; exports CSV; has empty states', async () => {
    // Prepare: a key with 2 requests a minute gets a third (429), a model that does not exist (404).
    await router.accounts.createAccount({ accountId: 'trouble', limits: { monthlyBudgetUsd: 1 } });
    const limited = await router.createKey('trouble', { name: 'limited', limits: { rpm: 2 } });
    await router.accounts.createAccount({ accountId: 'quiet' });
    const ask = (model: string) =>
      router
        .client(limited)
        .chat.completions.create({ model, messages: [{ role: 'user', content: 'hi' }], max_tokens: 20 })
        .then(
          () => 200,
          (e: { status?: number }) => e.status,
        );
    const statuses = [await ask('acme/llama-test'), await ask('acme/llama-test'), await ask('acme/llama-test'), await ask('nosuch/model')];
    expect(statuses).toEqual([200, 200, 429, 404]);
    await router.stack.runtime.refusals.flush();
    const range = { from: `${today.slice(0, 8)}01`, to: today };
    await vi.waitFor(async () => expect((await router.accounts.usage('trouble', { ...range, by: 'day' }))[0]?.requests).toBe(2), {
      timeout: 10_000,
    });
    const byDay = await router.accounts.usage('trouble', { ...range, by: 'day' });
    expect(byDay[0]).toMatchObject({ requests: 2, refusals: 2, errors: 0 });
    expect(Object.keys(byDay[0]!.refusedBy).sort()).toEqual([expect.stringMatching(/^404-/), expect.stringMatching(/^429-/)]);

    // Act: the page, as an operator opens it.
    const { page: p, errors: pageErrors } = await openPage(browser);
    try {
      await p.goto(consoleServer.url);
      await p.waitForSelector('body[data-ready="true"]');
      // Assess: the overview across accounts counts the refusals by reason, as its endpoint computes them.
      const overview = (await (await fetch(`${consoleServer.url}api/overview?${new URLSearchParams(range)}`)).json()) as any;
      expect(overview.totals.refusals).toBeGreaterThanOrEqual(2);
      expect(await p.textContent('.tile[data-tile="refused"] b')).toBe(String(overview.totals.refusals));
      const reasons = await p.$$eval('#overview-reasons tbody tr', (trs) => trs.map((tr) => [...tr.children].map((td) => td.textContent)));
      expect(Object.fromEntries(reasons)).toEqual(
        Object.fromEntries(Object.entries(overview.totals.refusedBy).map(([r, n]) => [r, String(n)])),
      );
      expect(await p.isHidden('#overview-reasons-empty')).toBe(true);
      const accountRow = await p.$$eval('#accounts tr[data-account-id="trouble"] td', (tds) => tds.map((td) => td.textContent));
      expect(accountRow.slice(0, 5)).toEqual(['trouble', 'active', '2', '0', '2']);
      expect(accountRow[6]).toMatch(/^month: \$0\.\d+ of \$1\.00 \(\d+\.\d %\)$/);

      // Per account: the trouble table, the key's limits and last use, the budget bar.
      await p.click('#accounts tr[data-account-id="trouble"]');
      await p.waitForSelector(`body[data-usage-loaded="trouble|day|1"]`);
      const trouble = await p.$$eval('#trouble tbody tr td', (tds) => tds.map((td) => td.textContent));
      expect(trouble.slice(0, 4)).toEqual([today, '2', '0', '2']);
      expect(trouble[4]).toMatch(/^(404|429)-[a-z-]+ ×1, (404|429)-[a-z-]+ ×1$/);
      expect(trouble[5]).toBe(`${byDay[0]!.latencyMs.p50} / ${byDay[0]!.latencyMs.p95} ms`);
      const keyRow = await p.$$eval('#keys tbody tr td', (tds) => tds.map((td) => td.textContent));
      expect(keyRow.slice(1, 2)).toEqual(['limited']);
      expect(keyRow.slice(4, 7)).toEqual(['2 rpm', '2', '2']);
      expect(keyRow[7]).toMatch(new RegExp(`^${today} \\d\\d:\\d\\d:\\d\\d$`));
      expect(await p.textContent('#budgets')).toMatch(/^This month: \$0\.\d+ of \$1\.00/);

      // CSV export: the rows on screen, one line per group.
      const [download] = await Promise.all([p.waitForEvent('download'), p.click('#export-csv')]);
      const csv = readFileSync((await download.path())!, 'utf8')
        .trim()
        .split('\n');
      expect(csv[0]).toBe(
        'group,requests,errors,refusals,refused_by,prompt_tokens,completion_tokens,cost_usd,savings_usd,latency_p50_ms,latency_p95_ms,ttft_p50_ms,last_at',
      );
      expect(csv.slice(1).map((l) => l.split(',').slice(0, 4))).toEqual([[today, '2', '0', '2']]);

      // Hourly detail.
      await p.click('#group-tabs button[data-by="hour"]');
      await p.waitForSelector(`body[data-usage-loaded="trouble|hour|1"]`);
      expect((await p.$$eval('#trouble tbody tr td', (tds) => tds.map((td) => td.textContent)))[0]).toMatch(/^\d{4}-\d\d-\d\dT\d\d:00$/);

      // Empty states: an account without traffic or budget.
      await p.click('#accounts tr[data-account-id="quiet"]');
      await p.waitForSelector(`body[data-usage-loaded="quiet|hour|0"]`);
      expect(await p.isVisible('#trouble-empty')).toBe(true);
      expect(await p.textContent('#budgets')).toBe('No budget on this account.');

      // Auto-refresh reloads everything on its own.
      await p.check('#auto-refresh');
      await p.waitForSelector('body[data-refreshed="1"]', { timeout: 15_000 });
      expect(pageErrors).toEqual([]);
      await p.screenshot({ path: join(process.env.CTR_SCREENSHOT_DIR ?? tmpdir(), 'ctr-console-trouble.png'), fullPage: true });
    } finally {
      await p.close();
    }
  }, 60_000);
});
