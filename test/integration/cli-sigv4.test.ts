/**
 * The CLI against a "deployed" stack through the admin API: the local server checks SigV4
 * signatures on /admin/* the way API Gateway's IAM authorization does (test credentials, loopback
 * only). Signed CLI commands work; unsigned, wrongly signed and tampered requests are refused.
 * Also: the Powertools metrics (EMF) of a metered request appear in the local mode's output.
 */
import { randomBytes } from 'node:crypto';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { run } from '../../lambdas/cli/ctr';
import { jsonLogger } from '../../lambdas/core/log';
import { signRequest } from '../../lambdas/core/sigv4';
import { type LocalStack, startLocalStack } from '../../lambdas/local/stack';
import { defaultConfig } from '../helpers/config';

const OPERATOR = { accessKeyId: 'AKIDLOCALOPERATOR', secretAccessKey: 'local-test-secret-not-a-real-key' };
let stack: LocalStack;
let cliEnv: NodeJS.ProcessEnv;
const emf: string[] = [];

async function ctr(...args: string[]): Promise<string> {
  const lines: string[] = [];
  await run(args, (l) => lines.push(l), cliEnv);
  return lines.join('\n');
}

beforeAll(async () => {
  const env = {
    PATH: process.env.PATH,
    HOME: process.env.HOME,
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    CTR_TABLE_PREFIX: 'sigv4-',
    CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
    CTR_CONFIG_JSON: JSON.stringify(defaultConfig()),
  };
  stack = await startLocalStack({
    port: 0,
    env,
    log: jsonLogger(() => undefined),
    operatorCredentials: [OPERATOR],
    metricsWrite: (l) => emf.push(l),
  });
  // No table endpoint, no KMS key: only the admin URL and the operator's credentials.
  cliEnv = {
    PATH: process.env.PATH,
    CTR_ADMIN_URL: stack.server.baseUrl.replace(/\/v1$/, ''),
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: OPERATOR.accessKeyId,
    AWS_SECRET_ACCESS_KEY: OPERATOR.secretAccessKey,
  };
}, 120_000);

afterAll(async () => {
  await stack?.stop();
});

describe('ctr through the admin API (SigV4)', () => {
  it('creates an account and a key, lists, rotates and revokes, reads usage: every call signed', async () => {
    const account = JSON.parse(
      await ctr('accounts', 'create', 'globex', '--email', 'ops@globex.example', '--monthly-budget', '5', '--json'),
    );
    expect(account).toMatchObject({ accountId: 'globex', limits: { monthlyBudgetUsd: 5 } });
    const key = JSON.parse(await ctr('keys', 'create', '--account', 'globex', '--name', 'ci', '--json'));
    expect(key.key).toMatch(/^sk-ctr-/);
    expect(await ctr('keys', 'list', '--account', 'globex')).toContain(key.keyId);

    const client = new OpenAI({ baseURL: stack.server.baseUrl, apiKey: key.key, maxRetries: 0 });
    await client.chat.completions.create({ model: 'mock/echo-small', messages: [{ role: 'user', content: 'hello' }], max_tokens: 20 });
    await vi.waitFor(async () => expect(JSON.parse(await ctr('usage', '--account', 'globex', '--by', 'model', '--json'))).toHaveLength(1), {
      timeout: 10_000,
    });

    const rotated = JSON.parse(await ctr('keys', 'rotate', key.keyId, '--json'));
    expect(rotated.rotatedFrom).toBe(key.keyId);
    expect(await ctr('keys', 'revoke', rotated.keyId)).toContain(`Revoked ${rotated.keyId}`);
    // An API error comes back as the CLI's error, with the API's message.
    await expect(ctr('accounts', 'show', 'nobody')).rejects.toThrow(/nobody|not found/i);
  });

  it('emits Powertools EMF metrics for the metered request, by model and provider and in total, in one record', async () => {
    await vi.waitFor(() => expect(emf.some((l) => l.includes('"Requests"'))).toBe(true), { timeout: 10_000 });
    const records = emf.filter((l) => l.includes('"_aws"')).map((l) => JSON.parse(l));
    const requests = records.filter((r) => r.Requests !== undefined);
    expect(requests).toHaveLength(1);
    const [record] = requests;
    // CloudWatch files the values under each dimension set: the dashboard's by model, the alarms' total.
    expect(record._aws.CloudWatchMetrics[0].Dimensions).toEqual([['service', 'model', 'provider'], ['service']]);
    expect(record).toMatchObject({
      service: 'cheap-token-router',
      model: 'mock/echo-small',
      provider: 'mock',
      Requests: 1,
      FailedRequests: 0,
    });
    expect(record.PromptTokens).toBeGreaterThan(0);
    // Ids and numbers only: the prompt never appears.
    expect(emf.join('\n')).not.toContain('hello');
  });

  it('refuses unsigned, wrongly signed and tampered requests with 403', async () => {
    const url = new URL(`${cliEnv.CTR_ADMIN_URL}/admin/accounts`);
    const unsigned = await fetch(url);
    expect(unsigned.status).toBe(403);

    const wrongKey = await signRequest(
      { method: 'GET', url, headers: {} },
      { ...OPERATOR, secretAccessKey: 'not-the-secret' },
      'us-east-1',
    );
    const bad = await fetch(url, { headers: wrongKey });
    expect(bad.status).toBe(403);
    expect(((await bad.json()) as { error: { message: string } }).error.message).toContain('bad_signature');

    const unknown = await signRequest(
      { method: 'GET', url, headers: {} },
      { accessKeyId: 'AKIDSOMEONEELSE', secretAccessKey: 'x' },
      'us-east-1',
    );
    expect((await fetch(url, { headers: unknown })).status).toBe(403);

    // Signed for one body, sent with another.
    const body = JSON.stringify({ accountId: 'initech' });
    const signed = await signRequest({ method: 'POST', url, headers: { 'content-type': 'application/json' }, body }, OPERATOR, 'us-east-1');
    const tampered = await fetch(url, { method: 'POST', headers: signed, body: JSON.stringify({ accountId: 'initech-evil' }) });
    expect(tampered.status).toBe(403);
    const honest = await fetch(url, { method: 'POST', headers: signed, body });
    expect(honest.status).toBe(201);
  });
});
