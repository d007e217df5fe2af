import { describe, expect, it } from 'vitest';
import { chatRequestSchema, validate } from '../../lambdas/domain/chat-request';
import { RouterError } from '../../lambdas/domain/errors';
import { httpErrorOf } from '../../lambdas/handlers/http-errors';
import { asHttp } from '../helpers/http-error';

const CANARY = 'CANARY-7f3a9c';
const ok = { model: 'm', messages: [{ role: 'user', content: 'hi' }] };

function rejects(body: unknown): RouterError {
  try {
    validate(chatRequestSchema, body);
  } catch (e) {
    expect(e).toBeInstanceOf(RouterError);
    return e as RouterError;
  }
  throw new Error('expected a validation error');
}

describe('chat request validation', () => {
  it('accepts a full OpenAI request: multimodal parts, tools, tool results, response_format, stop', () => {
    const body = {
      model: 'm',
      messages: [
        { role: 'system', content: 'be brief' },
        {
          role: 'user',
          content: [
            { type: 'text', text: 'what is this?' },
            { type: 'image_url', image_url: { url: 'https://x/y.png', detail: 'low' } },
          ],
        },
        { role: 'assistant', content: null, tool_calls: [{ id: 'c1', type: 'function', function: { name: 'look', arguments: '{}' } }] },
        { role: 'tool', tool_call_id: 'c1', content: 'a cat' },
      ],
      tools: [{ type: 'function', function: { name: 'look', parameters: { type: 'object', properties: {} } } }],
      tool_choice: { type: 'function', function: { name: 'look' } },
      response_format: { type: 'json_schema', json_schema: { name: 'out', schema: { type: 'object' }, strict: true } },
      stop: ['\n\n'],
      max_completion_tokens: 100,
      temperature: 0.2,
      stream: true,
      stream_options: { include_usage: true },
      provider: { order: ['groq'], sort: 'price', max_price: { prompt: 1 } },
      models: ['a', 'b'],
    };
    expect(validate(chatRequestSchema, body).messages).toHaveLength(4);
  });

  it.each([
    [{ messages: [] }, 'model', 'missing_required_parameter'],
    [{ model: 'm' }, 'messages', 'missing_required_parameter'],
    [{ ...ok, messages: [] }, 'messages', 'invalid_value'],
    [{ ...ok, temperature: 3 }, 'temperature', 'invalid_value'],
    [{ ...ok, max_tokens: -1 }, 'max_tokens', 'invalid_value'],
    [{ ...ok, messages: [{ role: 'wizard', content: 'x' }] }, 'messages[0].role', 'invalid_value'],
    [{ ...ok, tool_choice: 'required' }, 'tool_choice', 'invalid_value'],
    [{ ...ok, stream_options: { include_usage: true } }, 'stream_options', 'invalid_value'],
    [{ ...ok, provider: { sort: 'vibes' } }, 'provider.sort', 'invalid_value'],
    [{ ...ok, n: 0 }, 'n', 'invalid_value'],
    [{ ...ok, reasoning_effort: 'extreme' }, 'reasoning_effort', 'invalid_value'],
    [{ ...ok, temperature: 'hot' }, 'temperature', 'invalid_value'],
    [{ ...ok, messages: 'hello' }, 'messages', 'invalid_value'],
  ])('rejects %j with param %s', (body, param, code) => {
    const err = rejects(body);
    expect(asHttp(err).status).toBe(400);
    expect(JSON.parse(httpErrorOf(err).body).error).toMatchObject({ type: 'invalid_request_error', param, code });
  });

  it('names an unrecognized key, and only when it reads as a parameter name', () => {
    // Act
    const zdr = rejects({ ...ok, provider: { zdr: true } });
    const two = rejects({ ...ok, provider: { zdr: true, quantizations: ['fp8'] } });
    const odd = rejects({ ...ok, provider: { 'my secret prompt text': 1 } });

    // Assess
    expect(JSON.parse(httpErrorOf(zdr).body).error).toMatchObject({ param: 'provider.zdr', code: 'unknown_parameter' });
    expect(zdr.message).toBe('Invalid parameter provider: unrecognized key provider.zdr.');
    expect(two.message).toBe('Invalid parameter provider: unrecognized keys provider.zdr, provider.quantizations.');
    expect(odd.message).toBe('Invalid parameter provider: unrecognized key provider.[key].');
  });

  it('rejects non-object bodies', () => {
    expect(rejects([1, 2]).message).toMatch(/JSON object/);
    expect(asHttp(rejects('x')).status).toBe(400);
  });

  it('never quotes request content in the error message', () => {
    const bodies = [
      { ...ok, messages: [{ role: CANARY, content: CANARY }] },
      { ...ok, model: 42, messages: [{ role: 'user', content: 7 }], stop: CANARY.repeat(3) },
      { ...ok, messages: [{ role: 'user', content: [{ type: CANARY, text: CANARY }] }] },
      { ...ok, response_format: { type: CANARY } },
      { ...ok, tools: [{ type: 'function', function: { name: `${CANARY} has spaces` } }] },
      { ...ok, provider: { [CANARY]: 1 } },
      { ...ok, logit_bias: { [`${CANARY} words`]: 'x' } },
    ];
    for (const b of bodies) expect(JSON.stringify(httpErrorOf(rejects(b)).body)).not.toContain(CANARY);
  });
});
