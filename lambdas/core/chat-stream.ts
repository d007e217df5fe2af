/**
 * Streamed chat: open an upstream stream so that failures before real output can still fall back,
 * then turn the upstream's normalized events into the router's typed stream events. After the
 * first byte there is no fallback: a failure ends the stream with an `error` event, never a
 * clean-looking end. Every wait for the upstream is bounded by the provider's timeout.
 */
import type { ChatRequest } from '../domain/chat-request';
import { UpstreamError } from '../domain/errors';
import type { ChatCompletionChunk } from '../domain/openai';
import type { ProviderAdapter, ProviderCallContext, StreamEvent } from '../domain/ports';
import type { ProviderSettings } from '../domain/provider';
import { systemFingerprint } from './ids';
import type { ChatEvent } from './outcome';
import type { RequestTrace } from './request-trace';
import type { RouteCandidate } from './routing';

/** An upstream stream that has produced real output (or ended), with what came before it. */
export interface OpenedStream {
  /** Content-free opening events held back until output arrived. */
  held: StreamEvent[];
  first: IteratorResult<StreamEvent>;
  events: AsyncIterator<StreamEvent>;
  next(): Promise<IteratorResult<StreamEvent>>;
}

/**
 * The upstream's next event, or an UpstreamError (`timeout`, retryable) when it stays silent for the
 * provider's timeout: the attempt is then aborted, so a stalled stream neither hangs the request
 * nor escapes metering. Before the first content this falls back to the next offer.
 */
async function nextWithin(
  events: AsyncIterator<StreamEvent>,
  provider: ProviderSettings,
  abort: AbortController,
): Promise<IteratorResult<StreamEvent>> {
  let timer: NodeJS.Timeout | undefined;
  const silence = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      abort.abort();
      reject(new UpstreamError(`${provider.id} sent nothing for ${provider.timeoutMs} ms`, 'timeout'));
    }, provider.timeoutMs);
  });
  try {
    return await Promise.race([events.next(), silence]);
  } finally {
    clearTimeout(timer);
  }
}

/** An event that carries no output yet: usage, or a chunk with a role announcement, empty content, no tool call, no finish. */
function isPreamble(ev: StreamEvent): boolean {
  return (
    ev.type === 'usage' ||
    ev.chunk.choices.every((c) => !c.delta.content && !c.delta.tool_calls?.length && !c.delta.refusal && !c.finish_reason)
  );
}

/**
 * Starts the upstream stream and reads until the first real output. Content-free opening chunks
 * (the role announcement) are held back: until output arrives a failure can still fall back to
 * the next offer, because nothing has reached the client.
 */
export async function openStream(
  adapter: ProviderAdapter,
  request: ChatRequest,
  ctx: ProviderCallContext,
  abort: AbortController,
  provider: ProviderSettings,
): Promise<OpenedStream> {
  const events = (await adapter.chatStream(request, ctx))[Symbol.asyncIterator]();
  const held: StreamEvent[] = [];
  const next = () => nextWithin(events, provider, abort);
  let first = await next();
  while (!first.done && isPreamble(first.value)) {
    held.push(first.value);
    first = await next();
  }
  return { held, first, events, next };
}

/** The upstream's events: those held back before committing, the first one after them, then the rest. */
async function* upstreamEvents(s: OpenedStream): AsyncGenerator<StreamEvent> {
  let complete = false;
  try {
    yield* s.held;
    if (!s.first.done) {
      yield s.first.value;
      for (let n = await s.next(); !n.done; n = await s.next()) yield n.value;
    }
    complete = true;
  } finally {
    // The client is gone: stop the upstream generation.
    if (!complete) await s.events.return?.().catch(() => undefined);
  }
}

/**
 * The router's stream for one served offer: chunks rewritten with the router's id, model and
 * provider; the final usage (what the record bills) when the client asked for it; then `done`, or
 * `error` if the upstream failed mid-stream. Records output size and the first byte's time on the trace.
 */
export async function* streamEvents(
  trace: RequestTrace,
  request: ChatRequest,
  candidate: RouteCandidate,
  opened: OpenedStream,
): AsyncGenerator<ChatEvent> {
  const model = candidate.model.id;
  const provider = candidate.offer.provider.id;
  const id = `chatcmpl-${trace.requestId}`;
  const fingerprint = systemFingerprint(candidate.offer.id);
  const rewrite = (chunk: ChatCompletionChunk): ChatCompletionChunk => ({
    ...chunk,
    id,
    model,
    system_fingerprint: chunk.system_fingerprint || fingerprint,
    provider,
  });
  let finished = false;
  try {
    for await (const ev of upstreamEvents(opened)) {
      if (ev.type === 'usage') {
        trace.usage = trace.bounded(ev.usage);
        continue;
      }
      trace.firstByteAt ??= trace.clock();
      for (const choice of ev.chunk.choices) {
        trace.outputChars += (choice.delta.content ?? '').length;
        for (const t of choice.delta.tool_calls ?? []) trace.outputChars += (t.function?.arguments ?? '').length;
      }
      yield { type: 'chunk', chunk: rewrite(ev.chunk) };
    }
    if (request.stream_options?.include_usage) {
      // The same usage the record bills (an estimate when the upstream sent none).
      const usage = trace.billedUsage();
      const created = Math.floor(trace.startedAt.getTime() / 1000);
      const chunk: ChatCompletionChunk = {
        id,
        object: 'chat.completion.chunk',
        created,
        model,
        system_fingerprint: fingerprint,
        provider,
        choices: [],
        usage: trace.openAIUsage(usage),
      };
      yield { type: 'chunk', chunk };
    }
    finished = true;
    yield { type: 'done' };
  } catch (err) {
    trace.status = 'upstream_error';
    const reason = err instanceof UpstreamError ? err.message : 'stream failed';
    finished = true;
    yield { type: 'error', message: `The provider failed mid-stream: ${reason}.` };
  } finally {
    if (!finished) trace.status = 'client_closed';
  }
}
