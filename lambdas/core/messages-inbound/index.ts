/**
 * POST /v1/messages: the Anthropic Messages API in front of the router, so Anthropic-native
 * clients can use it. The request is translated to the router's chat request and served by
 * `chatCompletion` (same routing, fallback, limits and metering); the result is translated back.
 */
import { chatCompletion, type Caller, type ChatDeps, type RequestMeta } from '../chat';
import { validate } from '../chat-schema';
import type { HttpResult } from '../http';
import { assertModelKind } from '../model-kind';
import type { ChatCompletion } from '../openai-types';
import { toChatRequest } from './request';
import { toAnthropicMessage } from './response';
import { messagesRequestSchema } from './schema';
import { toAnthropicStream } from './stream';

export { anthropicErrorResult, anthropicKeyMissing } from './errors';

/**
 * Handles an Anthropic Messages request for an authenticated caller. Throws ApiErrors like
 * `chatCompletion`; the handler renders them with `anthropicErrorResult`.
 *
 * @example
 * const result = await anthropicMessages({ model: 'mock/echo-small', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }, caller, deps, signal);
 * JSON.parse(result.body as string).content[0].text
 */
export async function anthropicMessages(body: unknown, caller: Caller, deps: ChatDeps, signal: AbortSignal, meta: RequestMeta = {}): Promise<HttpResult> {
  const request = validate(messagesRequestSchema, body);
  assertModelKind(deps.catalog, request, 'chat');
  const result = await chatCompletion(toChatRequest(request), caller, deps, signal, meta);
  const headers = { ...result.headers, ...(result.headers['x-request-id'] ? { 'request-id': result.headers['x-request-id'] } : {}) };
  if (typeof result.body === 'string') {
    try {
      const completion = JSON.parse(result.body) as ChatCompletion;
      return { ...result, headers, body: JSON.stringify(toAnthropicMessage(completion)) };
    } catch (err) {
      // The provider was called: meter it even though the answer cannot be translated.
      await result.afterResponse?.();
      throw err;
    }
  }
  return { ...result, headers, body: toAnthropicStream(result.body) };
}
