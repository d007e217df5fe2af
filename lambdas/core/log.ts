/**
 * Structured JSON logging with an allow-list of fields: ids, counts, timings, codes. There is
 * deliberately no way to log a request or response body (policy §2 content data).
 */

export interface LogFields {
  requestId?: string;
  accountId?: string;
  keyId?: string;
  route?: string;
  status?: number;
  provider?: string;
  model?: string;
  upstreamModel?: string;
  attempt?: number;
  reason?: string;
  upstreamStatus?: number;
  errorCode?: string;
  errorName?: string;
  latencyMs?: number;
  ttftMs?: number;
  promptTokens?: number;
  completionTokens?: number;
  costNanoUsd?: number;
  port?: number;
  [key: `count${string}`]: number | undefined;
}

export type LogLevel = 'debug' | 'info' | 'warn' | 'error';

export interface Logger {
  log(level: LogLevel, message: string, fields?: LogFields): void;
}

/** A logger that writes one JSON line per entry to a sink (stdout by default). */
export function jsonLogger(write: (line: string) => void = (l) => process.stdout.write(`${l}\n`), minLevel: LogLevel = 'info'): Logger {
  const order: Record<LogLevel, number> = { debug: 0, info: 1, warn: 2, error: 3 };
  return {
    log(level, message, fields = {}) {
      if (order[level] < order[minLevel]) return;
      write(JSON.stringify({ level, time: new Date().toISOString(), message, ...fields }));
    },
  };
}
