/**
 * Provider adapter for Amazon Bedrock Converse / ConverseStream (kind "bedrock"), through the
 * AWS SDK: SigV4 with the default credential chain, no API key. Cross-region inference profile
 * ids (e.g. `us.anthropic.claude-3-5-haiku-20241022-v1:0`) are ordinary upstream model ids.
 */
import { randomUUID } from 'node:crypto';
import type { ConverseStreamOutput } from '@aws-sdk/client-bedrock-runtime';
import type { ChatRequest } from '../../domain/chat-request';
import { UpstreamError } from '../../domain/errors';
import type { ProviderAdapter, ProviderCallContext, StreamEvent } from '../../domain/ports';
import { withDeadline } from '../http';
import { type BedrockClientFactory, bedrockRegion, bedrockSdk, defaultBedrockClient } from './client';
import { toConverseInput } from './request';
import { BedrockStreamTranslator, bedrockError, fromConverseOutput } from './response';

export type { BedrockProviderOptions } from './client';

/** What the adapter can express, for routing: images only as data: URLs; no response_format. */

const completionId = (requestId: string | undefined) => `chatcmpl-${requestId ?? randomUUID()}`;

/**
 * Runs one SDK call with `ctx.signal` and the provider timeout (which bounds the wait for the
 * response headers; a stream then runs until it ends or the caller aborts).
 */
async function withSignal<T>(ctx: ProviderCallContext, call: (signal: AbortSignal) => Promise<T>): Promise<T> {
  return withDeadline(ctx, call, (err, timedOut) => bedrockError(err, ctx, timedOut));
}

/**
 * Builds a Bedrock adapter; `clientFor` is injectable so tests can target a loopback mock.
 *
 * @example
 * const adapter = createBedrockAdapter((region, endpoint) => new BedrockRuntimeClient({ region, endpoint, credentials }));
 */
export function createBedrockAdapter(clientFor: BedrockClientFactory = defaultBedrockClient): ProviderAdapter {
  const client = (ctx: ProviderCallContext) => clientFor(bedrockRegion(ctx.provider), ctx.provider.baseUrl);
  return {
    kind: 'bedrock',

    async chat(request: ChatRequest, ctx: ProviderCallContext) {
      const input = toConverseInput(request);
      const [{ ConverseCommand }, c] = await Promise.all([bedrockSdk(), client(ctx)]);
      const out = await withSignal(ctx, (abortSignal) => c.send(new ConverseCommand(input), { abortSignal }));
      return fromConverseOutput(out, request.model, completionId(out.$metadata.requestId));
    },

    async chatStream(request: ChatRequest, ctx: ProviderCallContext) {
      const input = toConverseInput(request);
      const [{ ConverseStreamCommand }, c] = await Promise.all([bedrockSdk(), client(ctx)]);
      const out = await withSignal(ctx, (abortSignal) => c.send(new ConverseStreamCommand(input), { abortSignal }));
      if (!out.stream) throw new UpstreamError(`${ctx.provider.id} sent no event stream`, 'protocol');
      return translate(out.stream, new BedrockStreamTranslator(completionId(out.$metadata.requestId), request.model, ctx.provider.id), ctx);
    },
  };
}

async function* translate(
  stream: AsyncIterable<ConverseStreamOutput>,
  t: BedrockStreamTranslator,
  ctx: ProviderCallContext,
): AsyncGenerator<StreamEvent> {
  const events = stream[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<ConverseStreamOutput>;
      try {
        next = await events.next();
      } catch (err) {
        throw bedrockError(err, ctx); // modeled exceptions inside the stream (throttling, model errors) land here
      }
      if (next.done) break;
      for (const chunk of t.handle(next.value)) yield { type: 'chunk', chunk };
    }
  } finally {
    await Promise.resolve(events.return?.()).catch(() => undefined);
  }
  yield { type: 'usage', usage: t.finalUsage() };
}

/** The Bedrock adapter with per-region cached clients and default credentials. */
export const bedrockAdapter: ProviderAdapter = createBedrockAdapter();
