/**
 * Bad input everywhere (issue 10, item 4), over a real socket: depth and size bombs in free-form
 * JSON fields (tool schemas, response_format, /v1/messages tool inputs and input_schema) are 400s,
 * never 500s; numeric fields a provider acts on are bounded; `encoding_format: "base64"` is
 * honoured for the official openai client, whose default it is.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { base64ToFloats, encodeEmbeddings, floatsToBase64 } from '../../lambdas/core/embedding-encoding';
import { messagesRequestSchema } from '../../lambdas/core/messages-inbound/schema';
import { chatRequestSchema, embeddingsRequestSchema, validate } from '../../lambdas/domain/chat-request';
import { RouterError } from '../../lambdas/domain/errors';
import { measureJson } from '../../lambdas/domain/json-bounds';
import { MAX_BODY_BYTES } from '../../lambdas/handlers/http';
import { defaultConfig } from '../helpers/config';
import { asHttp } from '../helpers/http-error';
import { startTestRouter, type TestRouter } from '../helpers/local-router';

/** `{"a":{"a":…}}` nested `depth` levels, built as text (no recursion anywhere). */
function nestedText(depth: number): string {
  return `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`;
}
const nested = (depth: number) => JSON.parse(nestedText(depth));

const chatBase = { model: 'mock/echo-small', messages: [{ role: 'user', content: 'hi' }] };

function status400(fn: () => unknown): RouterError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(RouterError);
    expect(asHttp(err).status).toBe(400);
    return err as RouterError;
  }
  throw new Error('expected a 400');
}

describe('free-form JSON bounds (in-process)', () => {
  it('measures without recursion, even 100 000 levels deep', () => {
    expect(measureJson(nested(100_000)).depth).toBe(100_000);
    expect(measureJson(nested(100_000), { depth: 32 }).exceeded).toBe('depth');
  });

  it('rejects deep or huge tool schemas and response formats, naming the field', () => {
    const deepTool = { ...chatBase, tools: [{ type: 'function', function: { name: 'f', parameters: nested(40) } }] };
    expect(status400(() => validate(chatRequestSchema, deepTool)).param).toBe('tools[0].function.parameters');
    const hugeTool = {
      ...chatBase,
      tools: [{ type: 'function', function: { name: 'f', parameters: { description: 'x'.repeat(70_000) } } }],
    };
    expect(status400(() => validate(chatRequestSchema, hugeTool)).message).toContain('larger than');
    const deepFormat = { ...chatBase, response_format: { type: 'json_schema', json_schema: { name: 's', schema: nested(40) } } };
    expect(status400(() => validate(chatRequestSchema, deepFormat)).param).toBe('response_format.json_schema.schema');
    expect(
      validate(chatRequestSchema, { ...chatBase, tools: [{ type: 'function', function: { name: 'f', parameters: nested(20) } }] }),
    ).toBeTruthy();
  });

  it('rejects a depth bomb anywhere in the body, typed field or not', () => {
    expect(status400(() => validate(chatRequestSchema, { ...chatBase, extra: nested(100_000) })).message).toContain('nested more than 64');
  });

  it('bounds /v1/messages shapes: tool inputs, input_schema, max_tokens', () => {
    const base = { model: 'mock/echo-small', max_tokens: 10 };
    const toolUse = (input: unknown) => ({
      ...base,
      messages: [
        { role: 'user', content: 'q' },
        { role: 'assistant', content: [{ type: 'tool_use', id: 't1', name: 'f', input }] },
      ],
    });
    status400(() => validate(messagesRequestSchema, toolUse(nested(40))));
    status400(() => validate(messagesRequestSchema, toolUse({ big: 'x'.repeat(1_100_000) })));
    expect(validate(messagesRequestSchema, toolUse({ ok: true }))).toBeTruthy();
    status400(() =>
      validate(messagesRequestSchema, {
        ...base,
        messages: [{ role: 'user', content: 'q' }],
        tools: [{ name: 'f', input_schema: nested(40) }],
      }),
    );
    status400(() => validate(messagesRequestSchema, { ...base, max_tokens: 1e12, messages: [{ role: 'user', content: 'q' }] }));
  });

  it('bounds the numbers a provider acts on', () => {
    const emb = { model: 'mock/embed-small', input: 'x' };
    status400(() => validate(embeddingsRequestSchema, { ...emb, dimensions: 1_000_000_000 }));
    status400(() => validate(embeddingsRequestSchema, { ...emb, input: [2 ** 40] }));
    expect(validate(embeddingsRequestSchema, { ...emb, dimensions: 3072 }).dimensions).toBe(3072);
    status400(() => validate(chatRequestSchema, { ...chatBase, max_tokens: 1e12 }));
    status400(() => validate(chatRequestSchema, { ...chatBase, max_completion_tokens: 2 ** 53 + 2 }));
    status400(() => validate(chatRequestSchema, { ...chatBase, seed: 1e300 }));
    status400(() => validate(chatRequestSchema, { ...chatBase, logit_bias: { '1': 1e9 } }));
  });

  it('encodes embeddings as OpenAI does: little-endian float32, base64', () => {
    expect(floatsToBase64([1, 2])).toBe('AACAPwAAAEA=');
    expect(base64ToFloats('AACAPwAAAEA=')).toEqual([1, 2]);
    const response = {
      object: 'list' as const,
      model: 'm',
      usage: { prompt_tokens: 1, total_tokens: 1 },
      data: [{ object: 'embedding' as const, index: 0, embedding: [0.5, -0.25] }],
    };
    expect(encodeEmbeddings(response, 'base64').data[0]!.embedding).toBe(floatsToBase64([0.5, -0.25]));
    expect(encodeEmbeddings(encodeEmbeddings(response, 'base64'), 'float').data[0]!.embedding).toEqual([0.5, -0.25]);
  });
});

describe('over a real socket', () => {
  let router: TestRouter;
  let key: string;
  beforeAll(async () => {
    router = await startTestRouter(defaultConfig());
    key = await router.createKey('acct-bounds');
  });
  afterAll(async () => {
    await router?.stop();
  });

  const post = (path: string, body: string, headers: Record<string, string> = {}) =>
    fetch(`${router.baseUrl}${path}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json', ...headers },
      body,
      signal: AbortSignal.timeout(30_000),
    });

  it('answers 400 (not 500) to a depth bomb in a tool schema, in /v1/messages and in an unknown field', async () => {
    const tool = (depth: number) =>
      `{"model":"mock/echo-small","messages":[{"role":"user","content":"hi"}],"tools":[{"type":"function","function":{"name":"f","parameters":${nestedText(depth)}}}]}`;
    const a = await post('/chat/completions', tool(40));
    expect(a.status).toBe(400);
    expect(((await a.json()) as { error: { param: string } }).error.param).toBe('tools[0].function.parameters');
    expect((await post('/chat/completions', tool(50_000))).status).toBe(400);
    const messages = `{"model":"mock/echo-small","max_tokens":10,"messages":[{"role":"user","content":"hi"}],"tools":[{"name":"f","input_schema":${nestedText(50_000)}}]}`;
    const b = await post('/messages', messages, { 'x-api-key': key, 'anthropic-version': '2023-06-01' });
    expect(b.status).toBe(400);
    expect(((await b.json()) as { type: string }).type).toBe('error');
    const unknown = `{"model":"mock/echo-small","messages":[{"role":"user","content":"hi"}],"x":${nestedText(50_000)}}`;
    expect((await post('/chat/completions', unknown)).status).toBe(400);
    expect((await post('/embeddings', '{"model":"mock/embed-small","input":"x","dimensions":1000000000}')).status).toBe(400);
  });

  it('answers 413 to a body over 10 MiB and closes the connection without reading the rest', async () => {
    const { request } = await import('node:http');
    const url = new URL(`${router.baseUrl}/chat/completions`);
    const size = MAX_BODY_BYTES + 4 * 1024 * 1024;
    const answer = await new Promise<{ status: number; body: string; connection?: string }>((resolve, reject) => {
      const req = request(url, { method: 'POST', headers: { authorization: `Bearer ${key}`, 'content-length': String(size) } });
      // Writing may fail once the router has answered and closed: the answer is what counts.
      req.on('error', () => undefined);
      req.once('response', (res) => {
        const parts: Buffer[] = [];
        res.on('data', (c: Buffer) => parts.push(c));
        res.once('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(parts).toString('utf8'), connection: res.headers.connection }),
        );
        res.once('error', reject);
      });
      const piece = Buffer.alloc(1024 * 1024, 0x20);
      let sent = 0;
      const more = () => {
        while (sent < size && !req.destroyed) {
          sent += piece.length;
          if (!req.write(piece)) return void req.once('drain', more);
        }
        req.end();
      };
      more();
    });
    expect(answer.status).toBe(413);
    expect(answer.connection).toBe('close');
    expect(JSON.parse(answer.body).error.code).toBe('request_too_large');
  });

  it('the official openai client gets the same vectors with its default (base64) as with float', async () => {
    const client = router.client(key);
    const input = ['first text', 'second text'];
    // The client sends encoding_format "base64" unless told otherwise, and decodes float32 little-endian.
    const viaDefault = await client.embeddings.create({ model: 'mock/embed-small', input });
    const viaFloat = await client.embeddings.create({ model: 'mock/embed-small', input, encoding_format: 'float' });
    expect(viaDefault.data).toHaveLength(2);
    for (const [i, d] of viaDefault.data.entries()) {
      const expected = viaFloat.data[i]!.embedding;
      expect(d.embedding).toHaveLength(expected.length);
      d.embedding.forEach((v, j) => {
        expect(v).toBeCloseTo(expected[j]!, 6);
      });
    }
    // On the wire: a base64 string when asked for explicitly.
    const raw = await post('/embeddings', JSON.stringify({ model: 'mock/embed-small', input: 'x', encoding_format: 'base64' }));
    const body = (await raw.json()) as { data: Array<{ embedding: unknown }> };
    expect(typeof body.data[0]!.embedding).toBe('string');
  });
});
