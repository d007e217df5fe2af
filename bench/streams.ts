/**
 * Many open streams, measured: one router process (the local stack, bundled, in its own process)
 * holds `streams` concurrent slow streams from a mock upstream (a token every `pieceMs`), and the
 * bench reads the server's own RSS, CPU per request and event-loop delay, and the time to first
 * token of a new request while they run, next to the same request on an idle server.
 * Bounded: every wait has a deadline; the server process is stopped at the end.
 */
import { type ChildProcess, fork } from 'node:child_process';
import { Agent, request } from 'node:http';
import { threeProviderConfig } from '../test/helpers/config';
import { startOpenAIUpstream } from '../test/helpers/openai-upstream';
import { bundleFile } from './bundle';
import { ms, pct, table } from './stats';

export interface StreamsOptions {
  streams: number;
  /** Upstream tokens per stream, one every `pieceMs`. */
  pieces: number;
  pieceMs: number;
  /** New requests timed on the idle and on the loaded server. */
  probes: number;
}

interface Stats {
  rssBytes: number;
  cpu: { user: number; system: number };
  eventLoopDelayP99Ms: number;
  eventLoopDelayMaxMs: number;
}

type Message = { type: 'ready'; url: string; key: string } | ({ type: 'stats' } & Stats);

function nextMessage<T extends Message['type']>(child: ChildProcess, type: T, timeoutMs: number): Promise<Extract<Message, { type: T }>> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`no ${type} from the stream server in ${timeoutMs} ms`)), timeoutMs);
    const on = (m: Message) => {
      if (m.type !== type) return;
      clearTimeout(t);
      child.off('message', on);
      resolve(m as Extract<Message, { type: T }>);
    };
    child.on('message', on);
  });
}

/**
 * One streamed chat request: resolves `ttft` at its first content token; `done` when it ended.
 * `cut` ends it after the first token (a probe).
 */
function stream(url: string, key: string, agent: Agent, cut: boolean, deadline: number) {
  const started = performance.now();
  let ttft!: (v: number) => void;
  const first = new Promise<number>((r) => {
    ttft = r;
  });
  const done = new Promise<boolean>((resolve) => {
    const body = JSON.stringify({ model: 'acme/llama-test', stream: true, messages: [{ role: 'user', content: 'count slowly' }] });
    const req = request(
      `${url}/chat/completions`,
      { method: 'POST', agent, headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' } },
      (res) => {
        let seen = false;
        res.on('data', (b: Buffer) => {
          if (!seen && /"content":"[^"]/.test(b.toString('utf8'))) {
            seen = true;
            ttft(performance.now() - started);
            if (cut) req.destroy();
          }
        });
        res.on('end', () => resolve(res.statusCode === 200));
        res.on('error', () => resolve(false));
      },
    );
    req.setTimeout(Math.max(1, deadline - Date.now()), () => req.destroy());
    req.on('error', () => resolve(false));
    req.on('close', () => resolve(false));
    req.end(body);
  });
  return { first, done };
}

/** Runs the many-streams section and prints its table. */
export async function manyStreams(o: StreamsOptions, deadline: number): Promise<void> {
  const up = await startOpenAIUpstream('streams');
  up.mode = { kind: 'slow', pieces: o.pieces, pieceMs: o.pieceMs };
  up.usage = { prompt: 20, completion: o.pieces, cached: 0 };
  const file = await bundleFile('./stream-server.ts', 'stream-server');
  const config = JSON.stringify(threeProviderConfig({ cheap: up.url, mid: up.url, dear: up.url }));
  const child = fork(file, [], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'], env: { ...process.env, CTR_CONFIG_JSON: config } });
  const agent = new Agent({ keepAlive: true, maxSockets: o.streams + 10 });
  try {
    const { url, key } = await nextMessage(child, 'ready', 90_000);
    const stats = async () => {
      const next = nextMessage(child, 'stats', 10_000);
      child.send({ type: 'stats' });
      return next;
    };
    const probe = async () => {
      const xs: number[] = [];
      for (let i = 0; i < o.probes && Date.now() < deadline; i++) {
        const s = stream(url, key, agent, true, deadline);
        xs.push(await Promise.race([s.first, s.done.then(() => Number.NaN)]));
      }
      return xs.filter(Number.isFinite);
    };
    for (let i = 0; i < 5; i++) await probe(); // warm-up
    const idleTtft = await probe();
    const idle = await stats();

    const before = await stats();
    const load = Array.from({ length: o.streams }, () => stream(url, key, agent, false, deadline));
    const firsts = await Promise.all(load.map((s) => Promise.race([s.first, s.done.then(() => Number.NaN)])));
    const loadedTtft = await probe();
    const during = await stats();
    const ended = await Promise.all(load.map((s) => s.done));
    const after = await stats();
    const cpuMs = (after.cpu.user + after.cpu.system - before.cpu.user - before.cpu.system) / 1000;
    const requests = o.streams + loadedTtft.length;
    const MiB = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
    console.log(
      `\n## ${o.streams} open streams in one server process (a token every ${o.pieceMs} ms, ${o.pieces} tokens each; the router bundled, DynamoDB Local)\n${table(
        [
          {
            figure: 'streams that started / completed',
            value: `${firsts.filter(Number.isFinite).length} / ${ended.filter(Boolean).length}`,
          },
          {
            figure: 'first token of the open streams, p50 / p99',
            value: `${ms(pct(firsts.filter(Number.isFinite), 50))} / ${ms(pct(firsts.filter(Number.isFinite), 99))}`,
          },
          { figure: 'server RSS idle / while they run', value: `${MiB(idle.rssBytes)} / ${MiB(during.rssBytes)}` },
          { figure: 'server CPU per request (whole stream, metering included)', value: ms(cpuMs / requests) },
          {
            figure: 'server event-loop delay p99 / max while they run',
            value: `${ms(during.eventLoopDelayP99Ms)} / ${ms(during.eventLoopDelayMaxMs)}`,
          },
          { figure: `a new request's first token, idle p50 (${idleTtft.length})`, value: ms(pct(idleTtft, 50)) },
          { figure: `a new request's first token while they run, p50 (${loadedTtft.length})`, value: ms(pct(loadedTtft, 50)) },
          { figure: 'added time to first token under the load, p50', value: ms(pct(loadedTtft, 50) - pct(idleTtft, 50)) },
        ],
      )}`,
    );
  } finally {
    agent.destroy();
    child.send({ type: 'stop' });
    await new Promise((r) => {
      const t = setTimeout(() => {
        child.kill('SIGKILL');
        r(undefined);
      }, 15_000);
      child.once('exit', () => {
        clearTimeout(t);
        r(undefined);
      });
    });
    await up.close();
  }
}

// `tsx bench/streams.ts` runs this section alone (STREAMS sets the count).
if (process.argv[1]?.endsWith('streams.ts')) {
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
  await manyStreams({ streams: Number(process.env.STREAMS) || 1000, pieces: 200, pieceMs: 50, probes: 20 }, Date.now() + 180_000);
}
