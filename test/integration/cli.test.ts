/**
 * The operator journey from the CLI alone: create an account with a monthly budget, issue a key,
 * watch usage and cost accrue per model, hit the budget, print the month's statement.
 */
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../lambdas/cli/ctr';
import { jsonLogger } from '../../lambdas/core/log';
import { type LocalDynamo, startDynamoLocal } from '../../lambdas/local/dynamodb-local';
import { type LocalStack, startLocalStack } from '../../lambdas/local/stack';
import { defaultConfig, rawDefaultConfig } from '../helpers/config';

let dynamo: LocalDynamo;
let stack: LocalStack;
let env: NodeJS.ProcessEnv;

async function ctr(...args: string[]): Promise<string> {
  const lines: string[] = [];
  await run(args, (l) => lines.push(l), env);
  return lines.join('\n');
}

beforeAll(async () => {
  dynamo = await startDynamoLocal();
  env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    CTR_DYNAMODB_ENDPOINT: dynamo.endpoint,
    CTR_TABLE_PREFIX: 'cli-',
    CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
    CTR_CONFIG_JSON: JSON.stringify(defaultConfig()),
  };
  // The account and key are created before the server exists: the CLI makes the tables itself.
  await ctr('accounts', 'create', 'acme', '--email', 'ops@acme.example', '--company', 'ACME', '--monthly-budget', '0.002');
  stack = await startLocalStack({ port: 0, env, dynamoEndpoint: dynamo.endpoint, log: jsonLogger(() => undefined) });
});

afterAll(async () => {
  await stack?.stop();
  await dynamo?.stop();
});

describe('ctr CLI end to end', () => {
  it('creates an account and a key, watches usage per model, hits the budget, prints the statement', async () => {
    const shown = JSON.parse(await ctr('accounts', 'show', 'acme', '--json'));
    expect(shown).toMatchObject({ accountId: 'acme', email: 'ops@acme.example', company: 'ACME', limits: { monthlyBudgetUsd: 0.002 } });

    const key = JSON.parse(await ctr('keys', 'create', '--account', 'acme', '--name', 'ci', '--json'));
    expect(key.key).toMatch(/^sk-ctr-/);
    expect(await ctr('keys', 'list', '--account', 'acme')).toContain(key.keyId);

    const client = new OpenAI({ baseURL: stack.server.baseUrl, apiKey: key.key, maxRetries: 0 });
    const ask = (model: string) =>
      client.chat.completions.create({ model, messages: [{ role: 'user', content: 'hello' }], max_tokens: 50 });
    await ask('mock/echo-small');
    await ask('mock/echo-large');
    await vi.waitFor(async () => expect(JSON.parse(await ctr('usage', '--account', 'acme', '--by', 'model', '--json'))).toHaveLength(2), {
      timeout: 10_000,
    });

    const byModel = JSON.parse(await ctr('usage', '--account', 'acme', '--by', 'model', '--json')) as Array<{
      group: string;
      costNanoUsd: number;
      requests: number;
    }>;
    expect(byModel.map((r) => [r.group, r.requests])).toEqual([
      ['mock/echo-large', 1],
      ['mock/echo-small', 1],
    ]);
    const csv = await ctr('usage', '--account', 'acme', '--by', 'provider', '--csv');
    expect(csv.split('\n')[0]).toBe('provider,requests,errors,refused,promptTokens,completionTokens,cachedTokens,costUsd,savedUsd');
    expect(csv).toContain('mock,2,');

    // Tables a person reads: usage by key shows the key's name; the key list its limits and last use.
    const byKeyCsv = (await ctr('usage', '--account', 'acme', '--by', 'key', '--csv')).split('\n');
    expect(byKeyCsv[0]!.startsWith('key,name,requests,errors,refused,')).toBe(true);
    expect(byKeyCsv[1]!.startsWith(`${key.keyId},ci,2,0,0,`)).toBe(true);
    await ctr('keys', 'limits', key.keyId, '--rpm', '600');
    const listed = (await ctr('keys', 'list', '--account', 'acme', '--csv')).split('\n');
    expect(listed[0]).toBe('keyId,name,prefix,status,rpm,tpm,dailyBudgetUsd,monthlyBudgetUsd,lastUse,createdAt,validUntil');
    expect(listed[1]).toMatch(new RegExp(`^${key.keyId},ci,sk-ctr-[^,]+,active,600,,,,\\d{4}-\\d\\d-\\d\\dT[^,]+,`));

    // The monthly budget ($0.002) runs out: a clean 429, not an overspend.
    let refused: unknown;
    for (let i = 0; i < 20 && !refused; i++) await ask('mock/echo-large').catch((e) => (refused = e));
    expect(refused).toBeInstanceOf(OpenAI.RateLimitError);

    const month = new Date().toISOString().slice(0, 7);
    const statement = await vi.waitFor(
      async () => {
        const s = JSON.parse(await ctr('statement', '--account', 'acme', '--month', month, '--json'));
        const usage = JSON.parse(await ctr('usage', '--account', 'acme', '--by', 'day', '--json')) as Array<{ costNanoUsd: number }>;
        expect(s.totalCostNanoUsd).toBe(usage.reduce((t, r) => t + r.costNanoUsd, 0));
        return s;
      },
      { timeout: 10_000 },
    );
    expect(statement.totalCostNanoUsd).toBeLessThanOrEqual(2_000_000);
    expect(statement.lines.map((l: { model: string }) => l.model)).toEqual(['mock/echo-large', 'mock/echo-small']);
    expect(await ctr('statement', '--account', 'acme', '--month', month)).toMatch(/Total: \d+ requests, \$0\.\d{9}$/);
  });

  it('rotates and revokes keys; a revoked key is refused', async () => {
    const first = JSON.parse(await ctr('keys', 'create', '--account', 'acme', '--json'));
    const rotated = JSON.parse(await ctr('keys', 'rotate', first.keyId, '--json'));
    expect(rotated.rotatedFrom).toBe(first.keyId);
    const client = (k: string) => new OpenAI({ baseURL: stack.server.baseUrl, apiKey: k, maxRetries: 0 });
    await expect(client(first.key).models.list()).resolves.toBeDefined();
    const res = await fetch(`${stack.server.baseUrl}/key`, { headers: { authorization: `Bearer ${first.key}` } });
    expect(res.status).toBe(401);
    expect((await fetch(`${stack.server.baseUrl}/key`, { headers: { authorization: `Bearer ${rotated.key}` } })).status).toBe(200);
    // A key the server has not cached yet is refused at once; a cached one within KEY_CACHE_TTL_MS (unit-tested).
    const spare = JSON.parse(await ctr('keys', 'create', '--account', 'acme', '--json'));
    expect(await ctr('keys', 'revoke', spare.keyId)).toMatch(/Revoked/);
    expect((await fetch(`${stack.server.baseUrl}/usage`, { headers: { authorization: `Bearer ${spare.key}` } })).status).toBe(401);
  });

  it('rejects bad input with a clear message', async () => {
    await expect(ctr('accounts', 'create', 'bad id!')).rejects.toThrow(/account ids are 1-64 letters/);
    await expect(ctr('keys', 'create')).rejects.toThrow(/--account <id> is required/);
    await expect(ctr('usage', '--account', 'acme', '--by', 'colour')).rejects.toThrow(/--by is hour, day, model, provider, key/);
    await expect(ctr('frobnicate')).rejects.toThrow(/unknown command/);
  });

  it('refuses a key for an unknown account, naming the nearest one; --create-account creates it', async () => {
    // Prepare: acme exists (beforeAll)
    // Act / Assess
    await expect(ctr('keys', 'create', '--account', 'acmee')).rejects.toThrow(
      /unknown account "acmee" \(did you mean "acme"\?\); create it with `ctr accounts create acmee`, or pass --create-account/,
    );
    await expect(ctr('keys', 'create', '--account', 'nosuch')).rejects.toThrow(/^unknown account "nosuch"; create it/);
    await expect(ctr('accounts', 'show', 'nosuch')).rejects.toThrow('No account nosuch.');
    const key = JSON.parse(await ctr('keys', 'create', '--account', 'fresh', '--create-account', '--json'));
    expect(key.key).toMatch(/^sk-ctr-/);
    expect(JSON.parse(await ctr('accounts', 'show', 'fresh', '--json'))).toMatchObject({ accountId: 'fresh', status: 'active' });
  });

  it('catalog build on an override naming a mistyped provider names the typo and the provider meant', async () => {
    // Prepare
    const raw = rawDefaultConfig();
    raw.catalog.overrides.push({
      model: raw.models[2].id,
      provider: 'grq',
      upstreamModel: 'llama-x',
      price: { input: 0.1, output: 0.1 },
      reason: 'negotiated',
    });
    const file = join(mkdtempSync(join(tmpdir(), 'ctr-catalog-')), 'router.config.json');
    writeFileSync(file, JSON.stringify(raw));
    // Act / Assess
    const failure = ctr('catalog', 'build', '--config', file, '--check');
    await expect(failure).rejects.toThrow(
      /catalog\.overrides\.\d+\.provider: unknown provider "grq" in an offer of model "[^"]+" \(did you mean "groq"\?\)/,
    );
    await expect(failure).rejects.not.toThrow(/needs upstreamModel and price/);
  });

  it('the installed bin exits non-zero on an unknown account, with one line on stderr', async () => {
    const failed = await promisify(execFile)(process.execPath, ['bin/ctr.mjs', 'keys', 'create', '--account', 'acne'], {
      env: { ...env, CTR_CONFIG_JSON: undefined },
      timeout: 60_000,
    }).catch((err: { code: number; stdout: string; stderr: string }) => err);
    expect((failed as { code: number }).code).toBe(2);
    expect((failed as { stderr: string }).stderr).toBe(
      'ctr: unknown account "acne" (did you mean "acme"?); create it with `ctr accounts create acne`, or pass --create-account\n',
    );
    expect((failed as { stdout: string }).stdout).toBe('');
  });

  it('the installed bin runs as a process', async () => {
    const { stdout } = await promisify(execFile)(process.execPath, ['bin/ctr.mjs', 'keys', 'list', '--account', 'acme', '--json'], {
      // The generated catalog is larger than one environment variable may be (E2BIG): the process reads the same shipped file instead.
      env: { ...env, CTR_CONFIG_JSON: undefined },
      timeout: 60_000,
    });
    const keys = JSON.parse(stdout) as Array<{ status: string }>;
    expect(keys.length).toBeGreaterThanOrEqual(3);
    expect(keys.some((k) => k.status === 'revoked')).toBe(true);
  });
});
