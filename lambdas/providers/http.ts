/**
 * HTTP plumbing shared by the adapters (OpenAI-compatible, Anthropic, Gemini; Bedrock uses the
 * deadline): one POST with the injected fetch and the provider timeout, error classification into
 * UpstreamError, and SSE reading with read failures classified. Nothing here logs, and no message built here carries
 * request or response content: messages name the provider id, the status and an error code.
 */

import { UpstreamError } from '../domain/errors';
import type { ErrorBody } from '../domain/openai';
import type { ProviderCallContext } from '../domain/ports';
import type { UpstreamResponse } from '../domain/upstream';
import { openAIErrorBody } from './mapping-tables';
import { retryAfterSeconds } from './retry-after';
import { readSse, type SseEvent } from './sse';

/** Maps a provider's non-2xx body to a short error code and an OpenAI-shape body for the client. */
export type ErrorMapper = (status: number, body: unknown) => { code: string | null; body: ErrorBody };

const MAX_ERROR_BODY = 64 * 1024;
/**
 * The largest buffered 2xx body read from an upstream. Above the largest legitimate answer: an
 * embeddings batch as JSON floats (2,048 inputs × 3,072 dimensions, ~20 characters each) is ~125 MB.
 * It bounds a faulty upstream that keeps sending within its timeout.
 */
export const MAX_UPSTREAM_BODY = 256 * 1024 * 1024;

/** Classifies a thrown fetch/read error: aborted by the caller, timed out, or a network failure. */
export function networkError(ctx: ProviderCallContext, err: unknown, phase: 'connect' | 'read', timedOut = false): UpstreamError {
  const id = ctx.provider.id;
  if (err instanceof UpstreamError) return err;
  if (timedOut) return new UpstreamError(`${id} did not answer within ${ctx.provider.timeoutMs} ms`, 'timeout');
  if (ctx.signal.aborted) return new UpstreamError(`request to ${id} aborted`, 'aborted');
  // node:http puts the system error code on the error, fetch on its cause.
  const e = err as { code?: unknown; cause?: { code?: unknown } } | undefined;
  const code = typeof e?.code === 'string' ? e.code : e?.cause?.code;
  const suffix = typeof code === 'string' && /^[A-Z_]{1,32}$/.test(code) ? ` (${code})` : '';
  return phase === 'connect'
    ? new UpstreamError(`could not connect to ${id}${suffix}`, 'connect')
    : new UpstreamError(`${id} stream was interrupted${suffix}`, 'protocol');
}

/**
 * POSTs a JSON body and resolves with the 2xx response; rejects with an UpstreamError otherwise.
/**
 * Runs one upstream call with the caller's abort signal and the provider timeout, which bounds the
 * wait for the connection and the response headers. The body has its own bounds: `readBodyWithin`
 * (buffered: whole body within the timeout) and the silence bound between stream events (core/chat.ts).
 * `onError` turns a thrown error into the adapter's UpstreamError, knowing whether the deadline hit.
 */
export async function withDeadline<T>(
  ctx: ProviderCallContext,
  call: (signal: AbortSignal) => Promise<T>,
  onError: (err: unknown, timedOut: boolean) => Error,
): Promise<T> {
  const controller = new AbortController();
  const onAbort = () => controller.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    controller.abort();
  }, ctx.provider.timeoutMs);
  try {
    return await call(controller.signal);
  } catch (err) {
    throw onError(err, timedOut);
  } finally {
    // The abort listener stays: a caller abort must also cancel a stream that is already flowing.
    clearTimeout(timer);
  }
}

/**
 * POSTs a JSON body and resolves with the 2xx response; rejects with an UpstreamError otherwise.
 * A failed response's body (bounded in time and size) is mapped to OpenAI's error shape, never logged.
 */
export async function postJson(
  ctx: ProviderCallContext,
  url: string,
  headers: Record<string, string>,
  body: unknown,
  mapError: ErrorMapper,
): Promise<UpstreamResponse> {
  const res = await withDeadline(
    ctx,
    (signal) =>
      ctx.fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
        body: JSON.stringify(body),
        signal,
      }),
    (err, timedOut) => networkError(ctx, err, 'connect', timedOut),
  );
  if (res.ok) return res;
  let parsed: unknown;
  try {
    const text = await readBodyWithin(ctx, res, { bytes: MAX_ERROR_BODY, over: 'truncate' });
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = undefined;
  }
  const mapped =
    parsed === undefined
      ? { code: null, body: openAIErrorBody(res.status, `${ctx.provider.id} returned HTTP ${res.status}`, null) }
      : mapError(res.status, parsed);
  throw new UpstreamError(
    `${ctx.provider.id} returned HTTP ${res.status}${mapped.code ? ` (${mapped.code})` : ''}`,
    'http',
    res.status,
    mapped.body,
    retryAfterSeconds(res.headers.get('retry-after')),
  );
}

/** Why a body read stopped early; never leaves this file. */
const BODY_TIMEOUT = Symbol('body timeout');

/**
 * Reads a response body to its end within `provider.timeoutMs` after the headers (a body that stalls
 * or trickles is cancelled, which closes the connection, and becomes a retryable `timeout`), and
 * within `limit.bytes`: past it the rest is cancelled, and the text is cut there (`truncate`, for
 * error bodies) or the read fails (`fail`, a `protocol` error). Bytes are joined and decoded once at
 * the end: a `TextDecoder` per body cost more than the rest of the read (measured).
 */
export async function readBodyWithin(
  ctx: ProviderCallContext,
  res: UpstreamResponse,
  limit: { bytes: number; over: 'truncate' | 'fail' } = { bytes: MAX_UPSTREAM_BODY, over: 'fail' },
): Promise<string> {
  if (!res.body) return '';
  const bytes = res.body[Symbol.asyncIterator]();
  const cancel = () => (res.cancel ? res.cancel() : void Promise.resolve(bytes.return?.()).catch(() => undefined));
  const parts: Uint8Array[] = [];
  let size = 0;
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(BODY_TIMEOUT), ctx.provider.timeoutMs);
  });
  deadline.catch(() => undefined);
  try {
    for (;;) {
      const { done, value } = await Promise.race([bytes.next(), deadline]);
      if (done) break;
      parts.push(value);
      size += value.byteLength;
      if (size > limit.bytes) {
        // Failing, the catch below cancels the rest.
        if (limit.over === 'fail') throw new UpstreamError(`${ctx.provider.id} sent a response body over ${limit.bytes} bytes`, 'protocol');
        cancel();
        return Buffer.concat(parts).toString('utf8', 0, limit.bytes);
      }
    }
    return Buffer.concat(parts).toString('utf8');
  } catch (err) {
    cancel();
    if (err === BODY_TIMEOUT)
      throw new UpstreamError(`${ctx.provider.id} did not send its response body within ${ctx.provider.timeoutMs} ms`, 'timeout');
    throw networkError(ctx, err, 'read');
  } finally {
    clearTimeout(timer);
  }
}

/** Reads a buffered JSON response body, bounded like `readBodyWithin`. */
export async function readJson(ctx: ProviderCallContext, res: UpstreamResponse): Promise<unknown> {
  const text = await readBodyWithin(ctx, res);
  try {
    return JSON.parse(text);
  } catch {
    throw new UpstreamError(`${ctx.provider.id} sent a malformed response`, 'protocol');
  }
}

/** The response's Server-Sent Events, each `data` parsed as JSON; read failures become UpstreamErrors. */
export async function* readJsonEvents(
  ctx: ProviderCallContext,
  res: UpstreamResponse,
): AsyncGenerator<{ event: SseEvent['event']; json: unknown }> {
  if (!res.body) throw new UpstreamError(`${ctx.provider.id} sent no stream body`, 'protocol');
  const events = readSse(res.body)[Symbol.asyncIterator]();
  try {
    for (;;) {
      let next: IteratorResult<SseEvent>;
      try {
        next = await events.next();
      } catch (err) {
        throw networkError(ctx, err, 'read');
      }
      if (next.done) return;
      let json: unknown;
      try {
        json = JSON.parse(next.value.data);
      } catch {
        throw new UpstreamError(`${ctx.provider.id} sent a malformed stream event`, 'protocol');
      }
      yield { event: next.value.event, json };
    }
  } finally {
    // Cancels the upstream body when the consumer stops early (client gone); a no-op after a full read.
    await Promise.resolve(events.return?.(undefined)).catch(() => undefined);
  }
}
