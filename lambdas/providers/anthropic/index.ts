/**
 * Provider adapter for the Anthropic Messages API (kind "anthropic").
 */

import type { ChatRequest } from '../../domain/chat-request';
import { UpstreamError } from '../../domain/errors';
import type { ProviderAdapter, ProviderCallContext, StreamEvent } from '../../domain/ports';
import type { UpstreamResponse } from '../../domain/upstream';
import { postJson, readJson, readJsonEvents } from '../http';
import { anthropicHeaders, messagesUrl } from './api';
import { toAnthropicRequest } from './request';
import { AnthropicStreamTranslator, fromAnthropicMessage, mapAnthropicError } from './response';
import type { AnthropicMessage, AnthropicStreamEvent } from './wire';

/** What the adapter can express, for routing: json_object / json_schema response formats are not supported. */

export const anthropicAdapter: ProviderAdapter = {
  kind: 'anthropic',

  async chat(request: ChatRequest, ctx: ProviderCallContext) {
    const body = toAnthropicRequest(request, false);
    const res = await postJson(ctx, messagesUrl(ctx), anthropicHeaders(ctx, false), body, mapAnthropicError);
    const msg = (await readJson(ctx, res)) as AnthropicMessage;
    if (msg?.type !== 'message' || !Array.isArray(msg.content) || !msg.usage)
      throw new UpstreamError(`${ctx.provider.id} sent an unexpected response`, 'protocol');
    return fromAnthropicMessage(msg, request.model);
  },

  async chatStream(request: ChatRequest, ctx: ProviderCallContext) {
    const body = toAnthropicRequest(request, true);
    const res = await postJson(ctx, messagesUrl(ctx), anthropicHeaders(ctx, true), body, mapAnthropicError);
    return translate(res, request.model, ctx);
  },
};

async function* translate(res: UpstreamResponse, model: string, ctx: ProviderCallContext): AsyncGenerator<StreamEvent> {
  const t = new AnthropicStreamTranslator(model, ctx.provider.id);
  for await (const { json } of readJsonEvents(ctx, res)) {
    for (const chunk of t.handle(json as AnthropicStreamEvent)) yield { type: 'chunk', chunk };
    if (t.done) break;
  }
  if (!t.done) throw new UpstreamError(`${ctx.provider.id} stream ended before message_stop`, 'protocol');
  yield { type: 'usage', usage: t.finalUsage() };
}
