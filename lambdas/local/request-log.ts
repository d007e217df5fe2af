/**
 * The local server's output for a person at a terminal: one line per request (time, key name,
 * model → offer, status, tokens, cost, latency) instead of JSON entries. The line joins what the
 * server saw (status, headers, time) with what metering logged for the same request id; it holds
 * no more than the JSON log does (ids, names of models and keys, counts, timings), never content.
 * `npm start` uses it when stdout is a terminal; JSON stays the format when piped or asked for
 * (`CTR_LOG_FORMAT=json`).
 */
import type { LogFields, Logger, LogLevel } from '../core/log';

/** What the local server saw of one request once its invocation ended. */
export interface ServedRequest {
  method: string;
  path: string;
  status: number;
  /** From the request's arrival to the end of its invocation (metering included), in ms. */
  ms: number;
  /** The response headers the server wrote (lower-case names). */
  headers: Readonly<Record<string, unknown>>;
}

export interface RequestLogOptions {
  /** Where lines go (stdout by default). */
  write?: (line: string) => void;
  /** A key's name, for the line; undefined when it is not known. Called after the response only. */
  keyName?: (accountId: string, keyId: string) => Promise<string | undefined>;
  /** Entries at or above this level that are not per-request are printed as short lines. */
  minLevel?: LogLevel;
  /** Time of day for the line (tests pin it). */
  now?: () => Date;
}

export interface RequestLog {
  /** The logger for the runtime: keeps metering's per-request facts, prints warnings and errors. */
  logger: Logger;
  /** Called by the local server after each invocation. */
  served(request: ServedRequest): Promise<void>;
}

/** At most this many metered requests wait for their served line (a bound on memory, never reached in practice). */
const MAX_PENDING = 1_000;
const ORDER: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };

/** USD with the digits a small cost needs, never in exponent notation ($0.00000018, $1.25). */
export function formatUsd(nanoUsd: number): string {
  if (!Number.isFinite(nanoUsd) || nanoUsd <= 0) return '$0';
  const usd = nanoUsd / 1e9;
  if (usd >= 0.01) return `$${usd.toFixed(2)}`;
  return `$${usd.toFixed(9).replace(/0+$/, '')}`;
}

/**
 * One readable line per request.
 *
 * @example
 * const out = requestLog({ keyName: (a, k) => names.get(k) });
 * startLocalStack({ port: 8787, log: out.logger, onServed: out.served });
 * // 01:02:03  backend  mock/echo-small → mock/echo-small  200  12 + 8 tokens  $0.00000016  14 ms
 */
export function requestLog(options: RequestLogOptions = {}): RequestLog {
  const write = options.write ?? ((l: string) => process.stdout.write(`${l}\n`));
  const minLevel = options.minLevel ?? 'warn';
  const now = options.now ?? (() => new Date());
  const metered = new Map<string, LogFields>();
  const time = () => now().toISOString().slice(11, 19);

  const logger: Logger = {
    log(level, message, fields = {}) {
      if (message === 'request metered' && fields.requestId) {
        if (metered.size >= MAX_PENDING) metered.delete(metered.keys().next().value as string);
        metered.set(fields.requestId, fields);
        return;
      }
      if (ORDER[level] < ORDER[minLevel]) return;
      const facts = Object.entries(fields)
        .map(([k, v]) => `${k}=${String(v)}`)
        .join(' ');
      write(`${time()}  ${level.toUpperCase()}  ${message}${facts ? `  ${facts}` : ''}`);
    },
  };

  const served = async (r: ServedRequest): Promise<void> => {
    const header = (name: string) => (typeof r.headers[name] === 'string' ? (r.headers[name] as string) : undefined);
    const requestId = header('x-request-id');
    const m = requestId ? metered.get(requestId) : undefined;
    if (requestId) metered.delete(requestId);
    const name = m?.accountId && m.keyId ? await options.keyName?.(m.accountId, m.keyId).catch(() => undefined) : undefined;
    const who = name ?? m?.keyId ?? '-';
    const model = header('x-ctr-model');
    const offer =
      header('x-ctr-provider') && header('x-ctr-upstream-model')
        ? `${header('x-ctr-provider')}/${header('x-ctr-upstream-model')}`
        : undefined;
    const what = model ? `${model} → ${offer ?? '?'}` : `${r.method} ${r.path}`;
    const parts = [time(), who, what, String(r.status)];
    if (m) {
      parts.push(`${m.promptTokens ?? 0} + ${m.completionTokens ?? 0} tokens`, formatUsd(m.costNanoUsd ?? 0));
      parts.push(
        m.ttftMs !== undefined && m.ttftMs !== m.latencyMs
          ? `${m.latencyMs} ms (first token ${m.ttftMs} ms)`
          : `${m.latencyMs ?? Math.round(r.ms)} ms`,
      );
    } else parts.push(`${Math.round(r.ms)} ms`);
    write(parts.join('  '));
  };

  return { logger, served };
}
