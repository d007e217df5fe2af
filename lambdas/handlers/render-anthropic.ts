/**
 * Renders chat outcomes and errors for POST /v1/messages in Anthropic's shapes: the buffered
 * message, the SSE event sequence, and `{"type":"error",…}` bodies with the same statuses as the
 * OpenAI routes. Anthropic's SDKs read the request id from `request-id`.
 */
import { toAnthropicMessage } from '../core/messages-inbound/response';
import { toAnthropicStream } from '../core/messages-inbound/stream';
import type { ChatOutcome } from '../core/outcome';
import { anthropicErrorOf } from './http-errors';
import type { HttpResult } from './http-result';
import { servedHeaders } from './render-openai';

/** A chat outcome as an Anthropic Messages response (JSON or SSE). */
export async function renderAnthropic(outcome: ChatOutcome): Promise<HttpResult> {
  const headers = { ...servedHeaders(outcome.served), 'request-id': outcome.served.requestId };
  if (outcome.kind === 'completion') {
    let body: string;
    try {
      body = JSON.stringify(toAnthropicMessage(outcome.completion));
    } catch (err) {
      // The provider was called: meter it even though the answer cannot be translated.
      await outcome.finish();
      throw err;
    }
    return { status: 200, headers: { 'content-type': 'application/json', ...headers }, body, afterResponse: outcome.finish };
  }
  return {
    status: 200,
    headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache', connection: 'keep-alive', ...headers },
    body: toAnthropicStream(outcome.events),
    afterResponse: outcome.finish,
  };
}

/**
 * Any thrown value as an Anthropic-shaped error response; unexpected errors become a generic 500.
 *
 * @example
 * anthropicErrorResult(RouterError.unauthorized()).status // 401, body {"type":"error","error":{"type":"authentication_error",…}}
 */
export function anthropicErrorResult(err: unknown): HttpResult {
  const e = anthropicErrorOf(err);
  return { status: e.status, headers: e.headers, body: JSON.stringify(e.body) };
}
