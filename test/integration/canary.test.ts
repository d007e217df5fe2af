/**
 * No content, proven (policy §2 content data): a canary string goes through every route —
 * streamed, buffered, tools, Anthropic-compatible, embeddings, validation errors, provider
 * failures, fallbacks, mid-stream failures, self-service and admin routes — and is then searched
 * for in every DynamoDB item, every line the router logged, and everything written to stdout or
 * stderr while it ran.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { canaryFormsIn } from '../helpers/canary-forms';
import { threeProviderConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';
import { type MockUpstream, startOpenAIUpstream } from '../helpers/openai-upstream';

const CANARY = 'CANARY-9d41c0e7-never-store-me';
/** The mock upstream's completion text: a completion must not be stored either. */
const COMPLETION = 'forty-two';

let router: TestRouter;
let up: MockUpstream;
let key: string;
const captured: string[] = [];
const restore: Array<() => void> = [];

function capture(stream: NodeJS.WriteStream): void {
  const original = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    captured.push(String(chunk));
    return (original as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  restore.push(() => (stream.write = original));
}

beforeAll(async () => {
  capture(process.stdout);
  capture(process.stderr);
  up = await startOpenAIUpstream('cheap');
  router = await startTestRouter(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url }), {
    CHEAP_KEY: 'k1',
    MID_KEY: 'k2',
    DEAR_KEY: 'k3',
  });
  await router.accounts.createAccount({
    accountId: 'acct-canary',
    company: `Company ${CANARY}`,
    limits: { monthlyBudgetUsd: 10, rpm: 1000 },
  });
  key = await router.createKey('acct-canary');
});

afterAll(async () => {
  await router?.stop();
  await up?.close();
  for (const r of restore) r();
});

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${router.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

async function drain(res: Response): Promise<string> {
  return res.text();
}

describe('no prompt or completion is stored or logged', () => {
  it('a canary sent through every route is in no table and no log line', async () => {
    const client = router.client(key);
    const messages = [
      { role: 'system' as const, content: `system ${CANARY}` },
      { role: 'user' as const, content: [{ type: 'text' as const, text: `user ${CANARY}` }] },
    ];
    const tools = [
      {
        type: 'function' as const,
        function: {
          name: 'lookup',
          description: CANARY,
          parameters: { type: 'object', properties: { q: { type: 'string', description: CANARY } } },
        },
      },
    ];
    const model = 'acme/llama-test';
    const served: string[] = [];

    // Chat, buffered / streamed / tools / tool results.
    served.push((await client.chat.completions.create({ model, messages })).choices[0]!.message.content ?? '');
    for await (const c of await client.chat.completions.create({ model, messages, stream: true, stream_options: { include_usage: true } }))
      served.push(c.choices[0]?.delta.content ?? '');
    await client.chat.completions.create({ model, messages, tools });
    for await (const _ of await client.chat.completions.create({ model, messages, tools, stream: true })) void _;
    await client.chat.completions.create({
      model,
      messages: [
        ...messages,
        {
          role: 'assistant',
          content: null,
          tool_calls: [{ id: 'c1', type: 'function', function: { name: 'lookup', arguments: JSON.stringify({ q: CANARY }) } }],
        },
        { role: 'tool', tool_call_id: 'c1', content: `tool result ${CANARY}` },
      ],
    });
    // The offline mock provider.
    await client.chat.completions.create({ model: 'mock/echo-small', messages, tools });
    expect(served.join('')).toContain(COMPLETION);

    // Fallback: the first provider fails, the next serves.
    up.mode = { kind: 'status', status: 503 };
    // OpenRouter's `provider` routing field is not in the openai SDK's types.
    await client.chat.completions
      .create({ model, messages, provider: { order: ['cheap', 'mid'] } } as Parameters<typeof client.chat.completions.create>[0])
      .catch(() => undefined);
    // An upstream request error that quotes the prompt: returned to its caller, never logged or stored.
    up.mode = {
      kind: 'status',
      status: 400,
      body: { error: { message: `Invalid message: ${CANARY}`, type: 'invalid_request_error', param: 'messages', code: null } },
    };
    const rejected = await client.chat.completions.create({ model, messages }).catch((e) => e);
    expect(rejected.status).toBe(400);
    // Every provider fails; then a failure after the first streamed byte.
    up.mode = { kind: 'status', status: 500 };
    await client.chat.completions.create({ model, messages }).catch(() => undefined);
    up.mode = { kind: 'midstream-fail' };
    await (async () => {
      for await (const _ of await client.chat.completions.create({ model, messages, stream: true })) void _;
    })().catch(() => undefined);
    up.mode = { kind: 'ok' };

    // Validation errors with the canary in every kind of field.
    const invalid: unknown[] = [
      `{"model": "${CANARY}", "messages": [`,
      { model, messages: [{ role: CANARY, content: CANARY }] },
      { model, messages, temperature: CANARY },
      { model, messages, tools: [{ type: 'function', function: { name: `bad name ${CANARY}` } }] },
      { model, messages, response_format: { type: CANARY } },
    ];
    for (const body of invalid) {
      const res = await post('/chat/completions', body);
      expect(res.status, String(body)).toBeGreaterThanOrEqual(400);
      expect(res.status).toBeLessThan(500);
      expect(await res.text()).not.toContain(CANARY);
    }

    // Unknown top-level fields (vendor extensions) are dropped, not forwarded or kept.
    expect((await post('/chat/completions', { model, messages, [CANARY]: CANARY })).status).toBe(200);
    expect(JSON.stringify(up.requests.at(-1)!.body)).not.toContain(`"${CANARY}":`);
    // An unknown model is named back to its caller (as OpenAI does), but is logged and stored nowhere.
    expect((await post('/chat/completions', { model: CANARY, messages })).status).toBe(404);
    // …and served from the fallback list when one resolves: the record names the catalog model, not the raw string.
    expect((await post('/chat/completions', { model: CANARY, models: ['mock/echo-small'], messages })).status).toBe(200);

    // The Anthropic-compatible route, buffered and streamed, and its validation errors.
    const anthropicBody = { model, max_tokens: 64, system: `system ${CANARY}`, messages: [{ role: 'user', content: `user ${CANARY}` }] };
    expect((await post('/messages', anthropicBody, { 'anthropic-version': '2023-06-01' })).status).toBe(200);
    expect(await drain(await post('/messages', { ...anthropicBody, stream: true }))).toContain('message_stop');
    expect(await (await post('/messages', { ...anthropicBody, messages: [{ role: CANARY, content: CANARY }] })).text()).not.toContain(
      CANARY,
    );

    // Embeddings.
    expect((await post('/embeddings', { model: 'mock/embed-small', input: [`embed ${CANARY}`] })).status).toBe(200);
    expect(await (await post('/embeddings', { model: 'mock/embed-small', input: { text: CANARY } })).text()).not.toContain(CANARY);

    // Self-service and admin routes.
    const get = (path: string) => fetch(`${router.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
    for (const path of ['/models', '/usage?by=model', '/key', '/privacy/export']) expect((await get(path)).status, path).toBe(200);
    const admin = `${router.baseUrl.replace(/\/v1$/, '')}/admin`;
    expect((await fetch(`${admin}/accounts/acct-canary/usage?by=provider`)).status).toBe(200);
    expect((await fetch(`${admin}/accounts/acct-canary/export`)).status).toBe(200);
    expect((await fetch(`${admin}/accounts/acct-canary/statements/${new Date().toISOString().slice(0, 7)}`)).status).toBe(200);

    // Metering is done after each response: wait until every served request is recorded.
    await vi.waitFor(async () => expect((await router.stack.runtime.usage.events('acct-canary')).length).toBeGreaterThanOrEqual(12), {
      timeout: 15_000,
    });

    // Assess: nothing of the prompt or the completion anywhere.
    const tables = await router.dumpAllTables();
    expect(tables).toContain('acct-canary');
    // Plain, JSON-escaped, base64, base64url, hex and UTF-16: an encoded copy is still a copy.
    expect(canaryFormsIn(tables, CANARY)).toEqual([]);
    expect(tables).not.toContain(COMPLETION);
    const logs = [...router.logs, ...captured].join('\n');
    expect(router.logs.length).toBeGreaterThan(10);
    expect(canaryFormsIn(logs, CANARY)).toEqual([]);
    expect(logs).not.toContain(COMPLETION);
  });
});
