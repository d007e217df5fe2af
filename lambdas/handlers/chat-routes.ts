/**
 * The chat function's routes (API Gateway REST with response streaming): chat completions,
 * Anthropic's Messages API and embeddings — every route that calls a provider and meters it, so
 * metering always runs after the client has its whole answer (a buffered function could only
 * return once it was done). Authentication and body parsing happen in the middleware chain; each
 * route only calls core. Apart from the other routes so the chat bundle carries only its own.
 */
import { runChat } from '../core/chat';
import { runEmbeddings } from '../core/embeddings';
import { runMessages } from '../core/messages-inbound';
import { messagesRequestSchema } from '../core/messages-inbound/schema';
import { chatRequestSchema, embeddingsRequestSchema, validate } from '../domain/chat-request';
import { renderAnthropic } from './render-anthropic';
import { renderChat, renderEmbeddings } from './render-openai';
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
  defineRoute({
    method: 'POST',
    path: '/v1/embeddings',
    fn: 'chat',
    auth: 'key',
    body: jsonBody((raw) => validate(embeddingsRequestSchema, raw)),
    handle: async ({ body, caller, rt, signal, meta }) => renderEmbeddings(await runEmbeddings(body, caller, rt.chat, signal, meta)),
  }),
];
