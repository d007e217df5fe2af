/**
 * Drafts entries of the model-identity map (`data/model-identity.json`) from the price data: a
 * review aid, not part of the build. It joins upstream ids across hosts by a normalized name and
 * guesses capabilities and output limits by family; every draft must be read before it is
 * committed, because the generator trusts the map as it is.
 *
 *   npx tsx scripts/catalog/draft-identity.ts > /tmp/draft.json
 */
import { calcPrice, type ModelInfo, type Provider, waitForUpdate } from '@pydantic/genai-prices';
import type { IdentityEntry } from '../../lambdas/catalog/identity';

/** Hosts the shipped config enables, by price-data provider id, with the vendor prefix of their own models. */
const HOSTS: Record<string, string> = {
  openai: 'openai',
  anthropic: 'anthropic',
  google: 'google',
  aws: '',
  mistral: 'mistralai',
  groq: '',
  together: '',
  fireworks: '',
  deepseek: 'deepseek',
  cerebras: '',
  'x-ai': 'x-ai',
  moonshotai: 'moonshotai',
  novita: '',
  openrouter: '',
};

const SKIP =
  /(audio|realtime|tts|transcribe|image|search|ocr|whisper|moderation|guard|voice|live|computer-use|^ft:|\.ft-|:free|:extended|instruct$-base|-base$|sonic|omni|codex-mini|babbage|davinci|curie|^ada$|instruct-v1:0-base)/i;

/** The upstream id to send for a price-data model on a host (checked to price back to the same entry). */
function upstreamId(host: string, m: ModelInfo): string {
  if (host === 'fireworks') return `accounts/fireworks/models/${m.id}`;
  // Newer Bedrock models are served through cross-region inference profiles only.
  if (host === 'aws') return m.id.replace(/^regional\./, 'us.').replace(/^meta\.llama(3-2|3-3|4)/, 'us.meta.llama$1');
  return m.id;
}

function norm(id: string): string {
  let s = id.toLowerCase();
  s = s.replace(/^accounts\/fireworks\/models\//, '').replace(/^(us|eu|apac|global|regional)\./, '');
  s = s.replace(/^(anthropic|meta|mistral|amazon|openai|qwen|deepseek|google|nvidia|writer)\./, '');
  s = s.slice(s.lastIndexOf('/') + 1);
  s = s
    .replace(/-\d+:\d+$/, '')
    .replace(/-v\d+:\d+$/, '')
    .replace(/:\d+$/, '');
  s = s.replace(/(\d)p(\d)/g, '$1.$2');
  s = s.replace(/-20\d{6}/g, '').replace(/-20\d\d-\d\d-\d\d/g, '');
  s = s
    .replace(/^meta-llama-/, 'llama-')
    .replace(/^llama-v/, 'llama-')
    .replace(/^llama(\d)-(\d)-/, 'llama-$1.$2-')
    .replace(/^llama(\d)/, 'llama-$1');
  s = s.replace(/-(instruct|turbo|versatile|instant|it|chat-hf|hf|fp8|latest|basic|maas)(?=-|$)/g, '');
  return s.replace(/[^a-z0-9]/g, '');
}

function family(id: string) {
  const s = id.toLowerCase();
  const tools =
    /gpt-4|gpt-5|gpt-6|\/o\d|claude|gemini|llama-3\.[1-3]|llama-?4|qwen|mistral|ministral|magistral|devstral|codestral|deepseek|grok|kimi|glm|nova|gpt-oss|minimax|command|nemotron|jamba/.test(
      s,
    );
  const vision =
    /gpt-4o|gpt-4\.1|gpt-5|gpt-6|\/o[13]|claude-(3|opus|sonnet|haiku|fable)|gemini|llama-?4|vision|-vl-|pixtral|grok-4|nova-(lite|pro|premier|2-lite)|gemma-3-(4|12|27)|mistral-(small-3\.[12]|medium-3|small-2603|medium-2|large-2512)|kimi-k2\.[5-9]|kimi-k3/.test(
      s,
    );
  const structured =
    /gpt-4o|gpt-4\.1|gpt-5|gpt-6|\/o\d|gemini|grok|mistral|ministral|magistral|claude-(opus|sonnet|haiku)-[45]|fable|gpt-oss|kimi|deepseek/.test(
      s,
    );
  let maxOutput = 8192;
  if (/gpt-5|gpt-6/.test(s)) maxOutput = 128000;
  else if (/\/o\d/.test(s)) maxOutput = 100000;
  else if (/gpt-4\.1/.test(s)) maxOutput = 32768;
  else if (/gpt-4o/.test(s)) maxOutput = 16384;
  else if (/claude-(opus-4(\.|-)?[01]?$|opus-4$)/.test(s)) maxOutput = 32000;
  else if (/claude-(sonnet-4|haiku-4|opus-4|3\.7|3-7|sonnet-5|opus-5|fable)/.test(s)) maxOutput = 64000;
  else if (/claude-3/.test(s)) maxOutput = 4096;
  else if (/gemini-(2\.5|3)/.test(s)) maxOutput = 65536;
  else if (/gpt-oss|deepseek|kimi|glm|qwen3|minimax|grok/.test(s)) maxOutput = 32768;
  return { tools, vision, jsonMode: tools, structuredOutput: structured, maxOutput };
}

function priced(m: ModelInfo, embedding: boolean): boolean {
  const list = Array.isArray(m.prices) ? m.prices.map((c) => c.prices) : [m.prices];
  return list.some((p) => p.input_mtok !== undefined && (embedding || p.output_mtok !== undefined));
}

async function main() {
  const data = (await waitForUpdate()) as Provider[];
  const groups = new Map<string, { canonical?: string; name?: string; hosts: Record<string, string>; ctx: number[]; embedding: boolean }>();
  for (const p of data) {
    if (!(p.id in HOSTS)) continue;
    for (const m of p.models) {
      if (m.deprecated || SKIP.test(m.id)) continue;
      if (p.id === 'google' && !/^gemini|^gemma/.test(m.id)) continue; // the Gemini API serves Google's models only
      if (p.id === 'openai' && /^gpt-oss/.test(m.id)) continue; // open weights priced for Azure; OpenAI's API does not serve them
      const embedding = /embed/.test(m.id);
      if (!priced(m, embedding)) continue;
      const up = upstreamId(p.id, m);
      const check = calcPrice({ input_tokens: 1000, output_tokens: 10 }, up, { providerId: p.id });
      if (check?.model.id !== m.id) continue;
      const key = `${embedding ? 'e' : 'c'}:${norm(m.id)}`;
      const g = groups.get(key) ?? { hosts: {}, ctx: [], embedding };
      if (g.hosts[p.id]) continue;
      g.hosts[p.id] = up;
      if (m.context_window) g.ctx.push(m.context_window);
      if (p.id === 'openrouter' && m.id.includes('/')) g.canonical = m.id;
      else if (!g.canonical && HOSTS[p.id]) g.canonical = `${HOSTS[p.id]}/${m.id}`;
      else if (!g.canonical && m.id.includes('/') && !m.id.startsWith('accounts/')) g.canonical = m.id.toLowerCase();
      g.name ??= m.name;
      groups.set(key, g);
    }
  }
  const out: IdentityEntry[] = [];
  for (const g of groups.values()) {
    const direct = Object.keys(g.hosts).filter((h) => h !== 'openrouter');
    if (direct.length === 0) continue; // OpenRouter-only models stay out of the default catalog
    const host = direct[0]!;
    const own = g.hosts[host]!.replace(/^accounts\/fireworks\/models\//, '').replace(/^(us|global)\./, '');
    const canonical = g.canonical ?? (host === 'aws' ? own.replace('.', '/') : `${host}/${own}`);
    const f = family(canonical);
    const contextWindow = g.ctx.length ? Math.max(...g.ctx) : 131072;
    out.push({
      id: canonical.replace(/:/g, '-'),
      ...(g.name ? { name: g.name } : {}),
      kind: g.embedding ? 'embedding' : 'chat',
      contextWindow,
      maxOutput: g.embedding ? 1 : Math.min(f.maxOutput, contextWindow),
      capabilities: g.embedding
        ? { tools: false, vision: false, jsonMode: false, structuredOutput: false }
        : { tools: f.tools, vision: f.vision, jsonMode: f.jsonMode, structuredOutput: f.structuredOutput },
      hosts: g.hosts,
    });
  }
  out.sort((a, b) => a.id.localeCompare(b.id));
  process.stdout.write(`${JSON.stringify(out, null, 2)}\n`);
}

await main();
