/**
 * The chat function's routes (API Gateway REST with response streaming): chat completions and
 * Anthropic's Messages API. Authentication and body parsing happen in the middleware chain; each
 * route only calls core. Apart from the other routes so the chat bundle carries only its own.
 */
import { chatCompletion } from '../core/chat';
import { anthropicMessages } from '../core/messages-inbound';
import { defineRoute, jsonBody } from './resolve';

export const chatRoutes = [
  defineRoute({
    method: 'POST',
    path: '/v1/chat/completions',
    fn: 'chat',
    auth: 'key',
    body: jsonBody(),
    handle: ({ body, caller, rt, signal, meta }) => chatCompletion(body, caller, rt.chat, signal, meta),
  }),
  // Anthropic's Messages API: every error, authentication included, in Anthropic's shape.
  defineRoute({
    method: 'POST',
    path: '/v1/messages',
    fn: 'chat',
    auth: 'anthropic-key',
    dialect: 'anthropic',
    body: jsonBody(),
    handle: ({ body, caller, rt, signal, meta }) => anthropicMessages(body, caller, rt.chat, signal, meta),
  }),
];
