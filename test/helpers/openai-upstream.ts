/**
 * A mock OpenAI-compatible upstream on 127.0.0.1 that speaks the real wire format
 * (chat.completion JSON, chat.completion.chunk SSE with a final usage chunk, OpenAI error
 * bodies). Its behaviour is switchable per test; it counts requests and TCP connections.
 */
import { createServer, type Server } from 'node:http';

export type UpstreamMode =
  | { kind: 'ok' }
  | { kind: 'status'; status: number; body?: unknown; headers?: Record<string, string>; delayMs?: number }
  | { kind: 'midstream-fail' }
  /** Ends the response cleanly, but mid-generation: no finish_reason, no [DONE]. */
  | { kind: 'truncated' }
  /** Sends the content-free role chunk, then the connection dies. */
  | { kind: 'fail-after-role' }
  /** Sends the content-free role chunk, then nothing more (until the caller gives up). */
  | { kind: 'stall-after-role' }
  /** Never answers; counts the requests whose connection the caller closed. */
  | { kind: 'hang' }
  | { kind: 'no-usage' }
  /** Streams `pieces` content chunks, one every `pieceMs` (a long generation). */
  | { kind: 'slow'; pieces: number; pieceMs: number };

export interface UpstreamUsage {
  prompt: number;
  completion: number;
  cached: number;
}

export interface MockUpstream {
  url: string;
  mode: UpstreamMode;
  usage: UpstreamUsage;
  requests: Array<{ path: string; authorization: string | undefined; body: Record<string, any> }>;
  connections: number;
  /** Requests in `hang` mode whose connection the caller closed. */
  abandoned: number;
  close(): Promise<void>;
}

const TEXT = ['The', ' answer', ' is', ' forty', '-two', '.'];

export async function startOpenAIUpstream(name: string): Promise<MockUpstream> {
  const state: MockUpstream = {
    url: '',
    mode: { kind: 'ok' },
    usage: { prompt: 1234, completion: 56, cached: 1024 },
    requests: [],
    connections: 0,
    abandoned: 0,
    close: async () => undefined,
  };
  const server: Server = createServer(async (req, res) => {
    let raw = '';
    for await (const c of req) raw += c;
    const body = JSON.parse(raw || '{}');
    state.requests.push({ path: req.url ?? '', authorization: req.headers.authorization, body });
    const mode = state.mode;
    if (mode.kind === 'hang') {
      res.on('close', () => state.abandoned++);
      return;
    }
    if (mode.kind === 'status') {
      if (mode.delayMs) await new Promise((r) => setTimeout(r, mode.delayMs));
      res.writeHead(mode.status, { 'content-type': 'application/json', ...mode.headers });
      res.end(
        JSON.stringify(mode.body ?? { error: { message: `${name} is overloaded`, type: 'server_error', param: null, code: 'overloaded' } }),
      );
      return;
    }
    const usage = {
      prompt_tokens: state.usage.prompt,
      completion_tokens: state.usage.completion,
      total_tokens: state.usage.prompt + state.usage.completion,
      prompt_tokens_details: { cached_tokens: state.usage.cached },
      completion_tokens_details: { reasoning_tokens: 0 },
    };
    const id = `chatcmpl-${name}-${state.requests.length}`;
    const created = 1_700_000_000;
    const wantsTool = Array.isArray(body.tools) && body.tools.length > 0 && body.messages?.at(-1)?.role !== 'tool';
    const toolName: string = wantsTool ? body.tools[0].function.name : '';
    const args = '{"city": "Zürich", "unit": "celsius", "note": "ünïcødé ✓"}';
    // Log probabilities when asked for (`logprobs: true`), one per text piece, as OpenAI sends them.
    const logprobsOf = (pieces: readonly string[]) =>
      body.logprobs === true
        ? {
            content: pieces.map((token, i) => ({
              token,
              logprob: -0.01 * (i + 1),
              bytes: [...Buffer.from(token)],
              top_logprobs: Array.from({ length: body.top_logprobs ?? 0 }, (_, k) => ({
                token: `${token}~${k}`,
                logprob: -1 - k,
                bytes: null,
              })),
            })),
            refusal: null,
          }
        : null;
    if (!body.stream) {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(
        JSON.stringify({
          id,
          object: 'chat.completion',
          created,
          model: body.model,
          choices: [
            {
              index: 0,
              message: wantsTool
                ? {
                    role: 'assistant',
                    content: null,
                    tool_calls: [{ id: 'call_1', type: 'function', function: { name: toolName, arguments: args } }],
                  }
                : { role: 'assistant', content: TEXT.join('') },
              finish_reason: wantsTool ? 'tool_calls' : 'stop',
              logprobs: wantsTool ? null : logprobsOf(TEXT),
            },
          ],
          usage,
        }),
      );
      return;
    }
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    const send = (o: unknown) => res.write(`data: ${JSON.stringify(o)}\n\n`);
    const chunk = (delta: unknown, finish: string | null = null) => ({
      id,
      object: 'chat.completion.chunk',
      created,
      model: body.model,
      choices: [{ index: 0, delta, finish_reason: finish }],
    });
    send(chunk({ role: 'assistant', content: '' }));
    if (mode.kind === 'stall-after-role') {
      res.on('close', () => state.abandoned++);
      return;
    }
    if (mode.kind === 'fail-after-role') {
      await new Promise<void>((flushed) => res.write(': flush\n\n', () => flushed()));
      res.destroy();
      return;
    }
    if (wantsTool) {
      send(chunk({ tool_calls: [{ index: 0, id: 'call_1', type: 'function', function: { name: toolName, arguments: '' } }] }));
      // Split the arguments at awkward places, including inside a multi-byte character's escape-free UTF-8.
      for (const piece of [args.slice(0, 3), args.slice(3, 11), args.slice(11, 40), args.slice(40)])
        send(chunk({ tool_calls: [{ index: 0, function: { arguments: piece } }] }));
      send(chunk({}, 'tool_calls'));
    } else if (mode.kind === 'slow') {
      for (let i = 0; i < mode.pieces && !res.destroyed; i++) {
        await new Promise((r) => setTimeout(r, mode.pieceMs));
        send(chunk({ content: `${i} ` }));
      }
      send(chunk({}, 'stop'));
    } else {
      for (const [i, piece] of TEXT.entries()) {
        if (mode.kind === 'truncated' && i === 3) {
          res.end();
          return;
        }
        if (mode.kind === 'midstream-fail' && i === 3) {
          // Let the first chunks reach the router before the connection dies.
          await new Promise<void>((flushed) => res.write(': flush\n\n', () => flushed()));
          res.destroy();
          return;
        }
        const logprobs = logprobsOf([piece]);
        send(
          logprobs
            ? { ...chunk({ content: piece }), choices: [{ index: 0, delta: { content: piece }, finish_reason: null, logprobs }] }
            : chunk({ content: piece }),
        );
      }
      send(chunk({}, 'stop'));
    }
    if (body.stream_options?.include_usage && mode.kind !== 'no-usage')
      send({ id, object: 'chat.completion.chunk', created, model: body.model, choices: [], usage });
    res.end('data: [DONE]\n\n');
  });
  server.on('connection', () => state.connections++);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  state.url = `http://127.0.0.1:${(server.address() as { port: number }).port}/v1`;
  state.close = () =>
    new Promise<void>((r) => {
      server.closeAllConnections();
      server.close(() => r());
    });
  return state;
}
