/**
 * POST /v1/messages: the Anthropic Messages API in front of the router, so Anthropic-native
 * clients can use it. The request is translated to the router's chat request and served by
 * `chatCompletion` (same routing, fallback, limits and metering); the transport renders the
 * pipeline's typed outcome in Anthropic's shapes, without re-parsing anything.
 */

import type { Caller, RequestMeta } from '../../domain/caller';
import { validate } from '../../domain/chat-request';
import { type ChatDeps, chatCompletion } from '../chat';
import { assertModelKind } from '../model-kind';
import type { ChatOutcome } from '../outcome';
import { toChatRequest } from './request';
import { type MessagesRequest, messagesRequestSchema } from './schema';

/**
 * Runs an Anthropic Messages request for an authenticated caller through the chat pipeline.
 * Throws domain errors like `runChat`; the transport renders the outcome and errors in Anthropic's
 * shapes (`toAnthropicMessage`, `toAnthropicStream`).
 *
 * @example
 * const outcome = await anthropicMessages({ model: 'mock/echo-small', max_tokens: 64, messages: [{ role: 'user', content: 'Hi' }] }, caller, deps, signal);
 */
export async function anthropicMessages(
  body: unknown,
  caller: Caller,
  deps: ChatDeps,
  signal: AbortSignal,
  meta: RequestMeta = {},
): Promise<ChatOutcome> {
  return runMessages(validate(messagesRequestSchema, body), caller, deps, signal, meta);
}

/** Runs a validated Messages request (the route validates in its middleware). */
export async function runMessages(
  request: MessagesRequest,
  caller: Caller,
  deps: ChatDeps,
  signal: AbortSignal,
  meta: RequestMeta = {},
): Promise<ChatOutcome> {
  assertModelKind(deps.catalog, request, 'chat');
  return chatCompletion(toChatRequest(request), caller, deps, signal, meta);
}
