/**
 * Anthropic endpoint and headers.
 */
import type { ProviderCallContext } from '../../domain/ports';

/** Default base URL; a provider's `baseUrl` overrides it (e.g. a regional or proxy endpoint). */
export const ANTHROPIC_DEFAULT_BASE_URL = 'https://api.anthropic.com/v1';
/** The API version the request and event shapes in `wire.ts` follow. */
export const ANTHROPIC_VERSION = '2023-06-01';

/** `<baseUrl>/messages`; accepts a base URL with or without the `/v1` suffix. */
export function messagesUrl(ctx: ProviderCallContext): string {
  const base = (ctx.provider.baseUrl ?? ANTHROPIC_DEFAULT_BASE_URL).replace(/\/+$/, '');
  return `${/\/v1$/.test(base) ? base : `${base}/v1`}/messages`;
}

/** Authentication and version headers. */
export function anthropicHeaders(ctx: ProviderCallContext, stream: boolean): Record<string, string> {
  return {
    'anthropic-version': ANTHROPIC_VERSION,
    ...(ctx.apiKey ? { 'x-api-key': ctx.apiKey } : {}),
    ...(stream ? { accept: 'text/event-stream' } : {}),
  };
}
