/**
 * The chat function's routes (API Gateway REST with response streaming): chat completions and
 * Anthropic's Messages API. Authentication and body parsing happen in the middleware chain; each
 * route only calls core. Apart from the other routes so the chat bundle carries only its own.
 */
import { runChat } from '../core/chat';
import { runMessages } from '../core/messages-inbound';
import { messagesRequestSchema } from '../core/messages-inbound/schema';
import { chatRequestSchema, validate } from '../domain/chat-request';
import { renderAnthropic } from './render-anthropic';
import { renderChat } from './render-openai';
import { defineRoute, jsonBody } from './resolve';

export const chatRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/chat/completions',
    fn: 'chat',
    auth: 'key',
    body: jsonBody((raw) => validate(chatRequestSchema, raw)),
    handle: async ({ body, caller, rt, signal, meta }) => renderChat(await runChat(body, caller, rt.chat, signal, meta)),
  }),
  // Anthropic's Messages API: every error, authentication included, in Anthropic's shape.
  defineRoute({
    method: 'POST',
    path: '/v1/messages',
    fn: 'chat',
    auth: 'anthropic-key',
    dialect: 'anthropic',
    body: jsonBody((raw) => validate(messagesRequestSchema, raw)),
    handle: async ({ body, caller, rt, signal, meta }) => renderAnthropic(await runMessages(body, caller, rt.chat, signal, meta)),
  }),
];
