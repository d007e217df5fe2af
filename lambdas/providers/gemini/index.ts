/**
 * Provider adapter for the Google Gemini API (kind "gemini"), native generateContent; see
 * `api.ts` for why the native API rather than Gemini's OpenAI-compatible endpoint.
 */

import type { ChatRequest } from '../../domain/chat-request';
import { UpstreamError } from '../../domain/errors';
import type { ProviderAdapter, ProviderCallContext, StreamEvent } from '../../domain/ports';
import type { UpstreamResponse } from '../../domain/upstream';
import { postJson, readJson, readJsonEvents } from '../http';
import { geminiHeaders, generateUrl } from './api';
import { toGeminiRequest } from './request';
import { fromGeminiResponse, GeminiStreamTranslator, mapGeminiError } from './response';
import type { GeminiResponse } from './wire';

/** What the adapter can express, for routing: json_object and json_schema are both supported. */

export const geminiAdapter: ProviderAdapter = {
  kind: 'gemini',

  async chat(request: ChatRequest, ctx: ProviderCallContext) {
    const body = toGeminiRequest(request);
    const res = await postJson(ctx, generateUrl(ctx, request.model, false), geminiHeaders(ctx, false), body, mapGeminiError);
    const resp = (await readJson(ctx, res)) as GeminiResponse;
    if (!resp || typeof resp !== 'object' || (!resp.candidates && !resp.promptFeedback))
      throw new UpstreamError(`${ctx.provider.id} sent an unexpected response`, 'protocol');
    return fromGeminiResponse(resp, request.model);
  },

  async chatStream(request: ChatRequest, ctx: ProviderCallContext) {
    const body = toGeminiRequest(request);
    const res = await postJson(ctx, generateUrl(ctx, request.model, true), geminiHeaders(ctx, true), body, mapGeminiError);
    return translate(res, request.model, ctx);
  },
};

async function* translate(res: UpstreamResponse, model: string, ctx: ProviderCallContext): AsyncGenerator<StreamEvent> {
  const t = new GeminiStreamTranslator(model, ctx.provider.id);
  for await (const { json } of readJsonEvents(ctx, res)) {
    const resp = json as GeminiResponse & { error?: { code?: unknown } };
    if (resp.error) {
      const status = typeof resp.error.code === 'number' && resp.error.code >= 400 && resp.error.code < 600 ? resp.error.code : 500;
      const mapped = mapGeminiError(status, resp);
      throw new UpstreamError(
        `${ctx.provider.id} reported an error mid-stream${mapped.code ? ` (${mapped.code})` : ''}`,
        'http',
        status,
        mapped.body,
      );
    }
    for (const chunk of t.handle(resp)) yield { type: 'chunk', chunk };
  }
  const last = t.end();
  const usage = t.finalUsage();
  yield { type: 'chunk', chunk: last };
  yield { type: 'usage', usage };
}
