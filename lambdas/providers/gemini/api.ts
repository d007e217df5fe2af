/**
 * Gemini endpoints and headers.
 *
 * The adapter uses the native `generateContent` / `streamGenerateContent?alt=sse` API, not
 * Gemini's OpenAI-compatible endpoint: the native API returns `usageMetadata` with
 * `cachedContentTokenCount` and `thoughtsTokenCount` on every exchange, streamed or not, which
 * exact metering needs (the compatibility layer folds them into OpenAI fields inconsistently and
 * only reports streamed usage on request); it also takes JSON Schema for tools and structured
 * output directly, and exposes finish reasons such as SAFETY and RECITATION unflattened.
 */
import { RouterError } from '../../domain/errors';
import type { ProviderCallContext } from '../../domain/ports';

export const GEMINI_DEFAULT_BASE_URL = 'https://generativelanguage.googleapis.com/v1beta';

/** The model resource path: `models/<id>` unless the id already names a resource (`models/…`, `tunedModels/…`). */
export function modelPath(model: string): string {
  if (!/^[A-Za-z0-9._-]+(\/[A-Za-z0-9._-]+)?$/.test(model))
    throw RouterError.invalidRequest('Invalid upstream model id for Gemini.', 'model');
  return model.includes('/') ? model : `models/${model}`;
}

/** `<base>/models/<model>:generateContent`, or the SSE streaming variant. */
export function generateUrl(ctx: ProviderCallContext, model: string, stream: boolean): string {
  const base = (ctx.provider.baseUrl ?? GEMINI_DEFAULT_BASE_URL).replace(/\/+$/, '');
  return `${base}/${modelPath(model)}:${stream ? 'streamGenerateContent?alt=sse' : 'generateContent'}`;
}

/** The API key travels in a header, never in the URL (URLs end up in access logs). */
export function geminiHeaders(ctx: ProviderCallContext, stream: boolean): Record<string, string> {
  return { ...(ctx.apiKey ? { 'x-goog-api-key': ctx.apiKey } : {}), ...(stream ? { accept: 'text/event-stream' } : {}) };
}
