/**
 * No content, proven outside the test process (policy §2 content data). The in-process canary test
 * sees only what goes through Node's stream objects of the test worker; here the router runs as
 * it ships, in child processes, and everything those processes write is scanned as raw bytes:
 *
 * - `npm start`'s entry (lambdas/local/main.ts) in its own process, with DynamoDB Local keeping its
 *   data on disk: its stdout/stderr and every file it wrote (the DynamoDB Local database included);
 * - the esbuild Lambda bundles (chat and api), each invoked in its own Node process the way the
 *   Lambda runtime invokes them: their stdout/stderr is what CloudWatch Logs would receive.
 *
 * Upstreams are mock servers on 127.0.0.1 speaking the OpenAI, Anthropic, Bedrock and Gemini wire
 * formats; their reply ("The answer is forty-two.") is the completion canary.
 */

import { randomBytes } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../lambdas/core/config';
import { jsonLogger } from '../../lambdas/core/log';
import { createRuntime } from '../../lambdas/handlers/runtime';
import { createTables, freePort } from '../../lambdas/local/dynamodb-local';
import { tableNamesFromEnv } from '../../lambdas/store/tables';
import { apiGatewayEvent } from '../helpers/api-event';
import { bundleHandler } from '../helpers/bundle';
import { canaryFormsIn } from '../helpers/canary-forms';
import { filesUnder, spawnNode, type WatchedChild } from '../helpers/child-output';
import { rawDefaultConfig } from '../helpers/config';
import {
  anthropicWire,
  bedrockWire,
  geminiWire,
  mockUpstream,
  openaiWire,
  scriptedUpstream,
  type Upstream,
} from '../helpers/provider-upstreams';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CANARY = 'CANARY-5be1f0a2-child-process-never-store-me';
/** The scripted upstreams' reply text: a completion must not be stored or logged either. */
const COMPLETION = 'forty-two';
const PROVIDERS = ['oai', 'ant', 'bed', 'gem'] as const;
const USAGE = {
  oai: { prompt_tokens: 40, completion_tokens: 6, total_tokens: 46 },
  ant: { input_tokens: 40, output_tokens: 6 },
  bed: { inputTokens: 40, outputTokens: 6, totalTokens: 46 },
  gem: { promptTokenCount: 40, candidatesTokenCount: 6, totalTokenCount: 46 },
};
const WIRES = { oai: openaiWire, ant: anthropicWire, bed: bedrockWire, gem: geminiWire };
const PROVIDER_KINDS = {
  oai: { kind: 'openai', credential: { env: 'OAI_KEY' } },
  ant: { kind: 'anthropic', credential: { env: 'ANT_KEY' } },
  bed: { kind: 'bedrock', region: 'us-west-2' },
  gem: { kind: 'gemini', credential: { env: 'GEM_KEY' } },
};
/** Provider credentials the scripted upstreams accept; Bedrock signs with the AWS credential chain. */
const CREDENTIALS = {
  OAI_KEY: 'sk-oai-test',
  ANT_KEY: 'sk-ant-test',
  GEM_KEY: 'AIza-test',
  BAD_KEY: 'sk-bad',
  AWS_ACCESS_KEY_ID: 'AKIDTEST',
  AWS_SECRET_ACCESS_KEY: 'test-secret',
};

const upstreams: Record<string, Upstream> = {};
let dir: string;

/** The default config with one model per wire format, plus one whose provider rejects the request quoting it. */
function canaryConfig(): Record<string, any> {
  const raw = rawDefaultConfig();
  const baseUrl = {
    oai: `${upstreams.oai!.url}/v1`,
    ant: `${upstreams.ant!.url}/v1`,
    bed: upstreams.bed!.url,
    gem: `${upstreams.gem!.url}/v1beta`,
  };
  raw.providers = [
    raw.providers.find((p: { id: string }) => p.id === 'mock'),
    ...PROVIDERS.map((id) => ({ id, ...PROVIDER_KINDS[id], baseUrl: baseUrl[id], jurisdiction: 'US', timeoutMs: 10_000 })),
    {
      id: 'bad',
      kind: 'openai',
      credential: { env: 'BAD_KEY' },
      baseUrl: `${upstreams.bad!.url}/v1`,
      jurisdiction: 'US',
      timeoutMs: 10_000,
    },
  ];
  const model = (id: string, provider: string) => ({
    id,
    capabilities: { tools: true },
    contextWindow: 100_000,
    maxOutput: 4096,
    offers: [{ provider, upstreamModel: `${provider}-model`, price: { input: 1, output: 2 } }],
  });
  raw.models = [
    ...raw.models.filter((m: { id: string }) => m.id.startsWith('mock/')),
    ...PROVIDERS.map((p) => model(`canary/${p}`, p)),
    model('canary/bad', 'bad'),
  ];
  return raw;
}

const messages: OpenAI.ChatCompletionMessageParam[] = [
  { role: 'system', content: `system ${CANARY}` },
  { role: 'user', content: [{ type: 'text', text: `user ${CANARY}` }] },
];
const tools: OpenAI.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'get_weather',
      description: CANARY,
      parameters: { type: 'object', properties: { city: { type: 'string', description: CANARY } } },
    },
  },
];

/** Asserts that neither the canary (in any of its encoded forms) nor the completion occurs in the text, naming where it was found. */
function expectAbsent(text: string, where: string): void {
  expect(canaryFormsIn(text, CANARY), `the canary found in ${where}`).toEqual([]);
  expect(text.includes(COMPLETION), `${COMPLETION} found in ${where}`).toBe(false);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ctr-canary-proc-'));
  for (const p of PROVIDERS) upstreams[p] = await scriptedUpstream(WIRES[p], USAGE[p]);
  // A provider that rejects the request and quotes the prompt back, as real providers do.
  upstreams.bad = await mockUpstream((_req, _body, res) => {
    res
      .writeHead(400, { 'content-type': 'application/json' })
      .end(
        JSON.stringify({ error: { message: `Invalid content: ${CANARY}`, type: 'invalid_request_error', param: 'messages', code: null } }),
      );
  });
});

afterAll(async () => {
  await Promise.all(Object.values(upstreams).map((u) => u.close()));
  rmSync(dir, { recursive: true, force: true });
});

describe('no prompt or completion leaves a child process', () => {
  const cwd = () => join(dir, 'local');
  let server: WatchedChild;
  let baseUrl: string;
  let dynamoEndpoint: string;
  let bundles: Promise<{ chat: string; api: string }>;

  beforeAll(async () => {
    const config = canaryConfig();
    // Bundled while the server starts.
    bundles = (async () => {
      const out = join(dir, 'bundles');
      const parsed = parseConfig(config);
      return { chat: await bundleHandler('chat', out, parsed), api: await bundleHandler('api', out, parsed) };
    })();
    bundles.catch(() => undefined);
    const configFile = join(dir, 'local-config.json');
    writeFileSync(configFile, JSON.stringify(config));
    mkdirSync(cwd(), { recursive: true });
    const [port, dynamoPort] = [await freePort(), await freePort()];
    dynamoEndpoint = `http://127.0.0.1:${dynamoPort}`;
    // As `npm start` runs it: tsx's loader in one process, so SIGTERM reaches main.ts itself (the tsx
    // CLI would be a parent that kills it, exit 143, unless it confirms a relayed signal within 30 ms).
    const tsxLoader = pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;
    server = spawnNode(['--import', tsxLoader, join(REPO, 'lambdas/local/main.ts')], {
      cwd: cwd(),
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        CTR_DYNAMODB_PORT: String(dynamoPort),
        CTR_CONFIG: configFile,
        ...CREDENTIALS,
      },
    });
    baseUrl = (await server.waitForStdout(/running on (http:\/\/127\.0\.0\.1:\d+\/v1)/, 90_000))[1]!;
  });

  afterAll(async () => {
    await server?.stop();
  });

  it('the local server (npm start) writes no canary to stdout or stderr', async () => {
    const admin = baseUrl.replace(/\/v1$/, '/admin');
    const accountRes = await fetch(`${admin}/accounts`, {
      method: 'POST',
      body: JSON.stringify({ accountId: 'acct-canary-proc', limits: { monthlyBudgetUsd: 10 } }),
    });
    expect(accountRes.status).toBe(201);
    const { key } = (await (await fetch(`${admin}/accounts/acct-canary-proc/keys`, { method: 'POST', body: '{}' })).json()) as {
      key: string;
    };
    const client = new OpenAI({ baseURL: baseUrl, apiKey: key, maxRetries: 0, timeout: 30_000 });

    // Every wire format, buffered and streamed, and tool calls; the replies carry the completion canary.
    const served: string[] = [];
    for (const p of PROVIDERS) {
      served.push((await client.chat.completions.create({ model: `canary/${p}`, messages })).choices[0]!.message.content ?? '');
      for await (const c of await client.chat.completions.create({ model: `canary/${p}`, messages, stream: true }))
        served.push(c.choices[0]?.delta.content ?? '');
      await client.chat.completions.create({ model: `canary/${p}`, messages, tools });
    }
    expect(served.join('')).toContain(COMPLETION);
    // A provider error quoting the prompt goes back to its caller only.
    expect(await client.chat.completions.create({ model: 'canary/bad', messages }).catch((e: { status?: number }) => e.status)).toBe(400);
    // The offline mock provider, embeddings, the Anthropic-compatible route, validation errors.
    await client.chat.completions.create({ model: 'mock/echo-small', messages, tools });
    expect((await client.embeddings.create({ model: 'mock/embed-small', input: [`embed ${CANARY}`] })).data).toHaveLength(1);
    const post = (path: string, body: unknown) =>
      fetch(`${baseUrl}${path}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
    const anthropicReply = await (
      await post('/messages', {
        model: 'canary/ant',
        max_tokens: 64,
        system: `system ${CANARY}`,
        messages: [{ role: 'user', content: `user ${CANARY}` }],
      })
    ).text();
    expect(anthropicReply).toContain(COMPLETION);
    for (const bad of [
      { model: 'canary/oai', messages: [{ role: CANARY, content: CANARY }] },
      { model: 'canary/oai', messages, temperature: CANARY },
      { model: CANARY, messages },
    ]) {
      expect((await post('/chat/completions', bad)).status).toBeGreaterThanOrEqual(400);
    }

    // Metering happens after each response: wait (bounded) until every served request is recorded.
    const deadline = Date.now() + 20_000;
    let recorded = 0;
    while (Date.now() < deadline) {
      const usage = (await (await fetch(`${admin}/accounts/acct-canary-proc/usage?by=model`)).json()) as {
        data: Array<{ requests: number }>;
      };
      recorded = usage.data.reduce((n, r) => n + r.requests, 0);
      if (recorded >= 15) break;
      await new Promise((r) => setTimeout(r, 200));
    }
    expect(recorded).toBeGreaterThanOrEqual(15);

    const stdout = server.stdout();
    expect(stdout.split('\n').filter((l) => l.startsWith('{')).length).toBeGreaterThan(10);
    expectAbsent(stdout, 'the local server stdout');
    expectAbsent(server.stderr(), 'the local server stderr');
  });

  it('the Lambda bundles write no canary to stdout or stderr (what CloudWatch Logs would receive)', async () => {
    const { chat, api } = await bundles;
    // The bundles use the local server's DynamoDB Local (own tables), so its database file holds their writes too.
    const env = {
      PATH: process.env.PATH,
      HOME: process.env.HOME,
      CTR_DYNAMODB_ENDPOINT: dynamoEndpoint,
      CTR_TABLE_PREFIX: 'bundle-',
      CTR_LOCAL_MASTER_KEY: randomBytes(32).toString('hex'),
      AWS_REGION: 'us-east-1',
      CTR_HOME_REGION: 'us-east-1',
      AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
      ...CREDENTIALS,
    };
    await createTables(dynamoEndpoint, tableNamesFromEnv(env));
    // The account and key are made in-process with the same services: setup, not under test.
    const runtime = await createRuntime(
      { ...env, CTR_CONFIG_JSON: JSON.stringify(parseConfig(canaryConfig())) },
      jsonLogger(() => undefined),
    );
    await runtime.accounts.createAccount({ accountId: 'acct-canary-bundle', limits: { monthlyBudgetUsd: 10 } });
    const auth = { authorization: `Bearer ${(await runtime.accounts.createKey('acct-canary-bundle', {})).key}` };

    const chatEvents = [
      ...PROVIDERS.flatMap((p) => [
        apiEvent('/v1/chat/completions', { model: `canary/${p}`, messages }, auth),
        apiEvent('/v1/chat/completions', { model: `canary/${p}`, messages, stream: true, stream_options: { include_usage: true } }, auth),
      ]),
      apiEvent('/v1/chat/completions', { model: 'canary/oai', messages, tools, stream: true }, auth),
      apiEvent('/v1/chat/completions', { model: 'canary/bad', messages }, auth),
      apiEvent('/v1/chat/completions', { model: 'canary/oai', messages: [{ role: CANARY, content: CANARY }] }, auth),
      apiEvent(
        '/v1/messages',
        { model: 'canary/ant', max_tokens: 64, system: CANARY, messages: [{ role: 'user', content: CANARY }] },
        auth,
      ),
      // Embeddings are served (and metered) by the chat function too.
      apiEvent('/v1/embeddings', { model: 'mock/embed-small', input: [`embed ${CANARY}`] }, auth),
      apiEvent('/v1/embeddings', { model: CANARY, input: CANARY }, auth),
    ];
    // The api function answers reads; a request with content that reaches it anyway is refused without being echoed.
    const apiEvents = [
      apiGatewayEvent('GET', '/v1/key', { headers: auth, sourceIp: '198.51.100.9', requestId: 'key' }),
      apiGatewayEvent('GET', '/v1/models', { sourceIp: '198.51.100.9', requestId: 'models' }),
      apiEvent('/v1/embeddings', { model: CANARY, input: CANARY }, auth),
    ];
    const [chatRun, apiRun] = await Promise.all([invokeBundle(chat, chatEvents, env), invokeBundle(api, apiEvents, env)]);

    // The invocations did what they should, so the output below had something to leak.
    expect(chatRun.results.map((r) => r.statusCode)).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 400, 400, 200, 200, 404]);
    // Buffered replies carry the completion canary whole; streamed ones carry it in pieces, then [DONE].
    expect(chatRun.results.filter((r) => r.body.includes(COMPLETION))).toHaveLength(5);
    expect(chatRun.results.filter((r) => r.body.includes(' forty') && r.body.includes('-two') && r.body.includes('[DONE]'))).toHaveLength(
      4,
    );
    expect(apiRun.results.map((r) => r.statusCode)).toEqual([200, 200, 404]);
    expect((await runtime.usage.events('acct-canary-bundle')).length).toBeGreaterThanOrEqual(11);
    expect(chatRun.stdout.split('\n').filter((l) => l.startsWith('{')).length).toBeGreaterThanOrEqual(chatEvents.length);
    for (const [name, run] of [
      ['chat', chatRun],
      ['api', apiRun],
    ] as const) {
      expectAbsent(run.stdout, `the ${name} bundle's stdout`);
      expectAbsent(run.stderr, `the ${name} bundle's stderr`);
    }
  });

  it('after shutdown, no file the local server wrote holds a canary, the DynamoDB Local database included', async () => {
    // Stopped gracefully, so DynamoDB Local has written its database file.
    await server.stop();
    expect(server.child.exitCode).toBe(0);
    expectAbsent(server.stdout(), 'the local server stdout');
    expectAbsent(server.stderr(), 'the local server stderr');
    const files = filesUnder(cwd());
    const database = files.filter((f) => f.path.endsWith('.db'));
    expect(database.length).toBeGreaterThan(0);
    // The database holds both runs' records: the scan below searched real data.
    expect(database.some((f) => f.text.includes('acct-canary-proc') && f.text.includes('acct-canary-bundle'))).toBe(true);
    for (const f of files) expectAbsent(f.text, f.path);
  });
});

/** An API Gateway REST proxy event, as the bundles receive it. */
function apiEvent(path: string, body: unknown, headers: Record<string, string>) {
  return apiGatewayEvent('POST', path, {
    body: JSON.stringify(body),
    headers: { 'content-type': 'application/json', ...headers },
    sourceIp: '198.51.100.9',
    requestId: randomBytes(4).toString('hex'),
  });
}

/**
 * Invokes a bundle's handler once per event in a fresh Node process, as the Lambda runtime would:
 * response streaming is provided through the `awslambda` global. Results go to a file, so the
 * process's stdout and stderr hold only what the bundle itself wrote.
 */
async function invokeBundle(bundle: string, events: unknown[], env: NodeJS.ProcessEnv) {
  const eventsFile = join(dir, `${randomBytes(4).toString('hex')}-events.json`);
  const resultsFile = `${eventsFile}.results.json`;
  const harness = join(dir, 'invoke-harness.mjs');
  writeFileSync(eventsFile, JSON.stringify(events));
  writeFileSync(
    harness,
    `import { readFileSync, writeFileSync } from 'node:fs';
import { Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';
const [bundle, eventsFile, resultsFile] = process.argv.slice(2);
let prelude;
globalThis.awslambda = {
  streamifyResponse: (fn) => fn,
  HttpResponseStream: { from(stream, p) { prelude = p; return stream; } },
};
const { handler } = await import(pathToFileURL(bundle).href);
const results = [];
for (const event of JSON.parse(readFileSync(eventsFile, 'utf8'))) {
  const context = { getRemainingTimeInMillis: () => 60_000, awsRequestId: event.requestContext.requestId };
  if (handler.length >= 3) {
    prelude = undefined;
    let body = '';
    const sink = new Writable({ write(chunk, _e, done) { body += String(chunk); done(); } });
    await handler(event, sink, context);
    results.push({ statusCode: prelude?.statusCode, body });
  } else {
    const res = await handler(event, context);
    results.push({ statusCode: res.statusCode, body: String(res.body) });
  }
}
writeFileSync(resultsFile, JSON.stringify(results));
`,
  );
  const child = spawnNode([harness, bundle, eventsFile, resultsFile], { cwd: dir, env });
  const code = await child.exited(60_000).catch(async (err) => {
    await child.stop(1_000);
    throw err;
  });
  expect(code, child.stderr().slice(-2000)).toBe(0);
  return {
    results: JSON.parse(readFileSync(resultsFile, 'utf8')) as Array<{ statusCode: number; body: string }>,
    stdout: child.stdout(),
    stderr: child.stderr(),
  };
}
