/**
 * Renders chat outcomes and errors for POST /v1/messages in Anthropic's shapes: the buffered
 * message and the SSE event sequence (errors: `httpErrorOf(err, 'anthropic')`). Anthropic's SDKs read
 * the request id from `request-id`.
 */
import { toAnthropicMessage } from '../core/messages-inbound/response';
import { toAnthropicStream } from '../core/messages-inbound/stream';
import type { ChatOutcome } from '../core/outcome';
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
