/**
 * The `ctr` operator CLI: accounts, keys, limits, usage and statements, against the local store
 * or a deployed stack. Run `npx ctr help`. Every command goes through the same AccountService as
 * the admin API.
 */

import { parseArgs } from 'node:util';
import { configPath } from '../core/config';
import type { LimitsInput } from '../core/limits';
import { USAGE_GROUPINGS, type UsageGrouping } from '../core/usage-report';
import { RouterError } from '../domain/errors';
import { nanoToUsd } from '../domain/money';
import { didYouMean } from '../domain/nearest-name';
import { HELP } from './help';
import { openRuntime } from './store';

class UsageError extends Error {}

type Row = Record<string, unknown>;

function table(rows: Row[]): string {
  if (!rows.length) return '(none)';
  const cols = Object.keys(rows[0]!);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (vals: string[]) =>
    vals
      .map((v, i) => v.padEnd(widths[i]!))
      .join('  ')
      .trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => String(r[c] ?? ''))))].join('\n');
}

function csv(rows: Row[]): string {
  if (!rows.length) return '';
  const cols = Object.keys(rows[0]!);
  const cell = (v: unknown) => {
    const s = String(v ?? '');
    return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [cols.join(','), ...rows.map((r) => cols.map((c) => cell(r[c])).join(','))].join('\n');
}

function num(value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isFinite(n) || n < 0) throw new UsageError(`${flag} takes a non-negative number`);
  return n;
}

/** Runs one CLI command; `out` receives each line of output. */
export async function run(
  argv: string[],
  out: (s: string) => void = (s) => process.stdout.write(`${s}\n`),
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const { values: v, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      name: { type: 'string' },
      email: { type: 'string' },
      company: { type: 'string' },
      status: { type: 'string' },
      expires: { type: 'string' },
      rpm: { type: 'string' },
      tpm: { type: 'string' },
      'daily-budget': { type: 'string' },
      'monthly-budget': { type: 'string' },
      by: { type: 'string' },
      from: { type: 'string' },
      to: { type: 'string' },
      month: { type: 'string' },
      out: { type: 'string' },
      message: { type: 'string' },
      author: { type: 'string' },
      off: { type: 'boolean', default: false },
      'create-account': { type: 'boolean', default: false },
      yes: { type: 'boolean', default: false },
      json: { type: 'boolean', default: false },
      csv: { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
      config: { type: 'string' },
      'as-of': { type: 'string' },
      check: { type: 'boolean', default: false },
      port: { type: 'string' },
    },
  });
  const [cmd, sub, arg] = positionals;
  if (!cmd || cmd === 'help' || v.help) return out(HELP);
  if (cmd === 'catalog') {
    // Needs no store; loaded only here, so other commands do not load the price data.
    const { runCatalogCommand } = await import('../catalog/cli');
    const code = await runCatalogCommand(sub, { config: v.config ?? configPath(), asOf: v['as-of'], check: v.check, json: v.json }, out);
    if (code !== 0) process.exitCode = code;
    return;
  }

  const limits = (): LimitsInput | undefined => {
    const l: LimitsInput = {
      ...(v.rpm !== undefined ? { rpm: num(v.rpm, '--rpm') } : {}),
      ...(v.tpm !== undefined ? { tpm: num(v.tpm, '--tpm') } : {}),
      ...(v['daily-budget'] !== undefined ? { dailyBudgetUsd: num(v['daily-budget'], '--daily-budget') } : {}),
      ...(v['monthly-budget'] !== undefined ? { monthlyBudgetUsd: num(v['monthly-budget'], '--monthly-budget') } : {}),
    };
    return Object.keys(l).length ? l : undefined;
  };
  const need = (value: string | undefined, what: string): string => {
    if (!value) throw new UsageError(`${what} is required (ctr help)`);
    return value;
  };
  const emit = (data: unknown, rows: () => Row[]) => {
    if (v.json) return out(JSON.stringify(data));
    if (v.csv) return out(csv(rows()));
    out(table(rows()));
  };
  const accountRow = (a: Awaited<ReturnType<typeof svc.getAccount>>): Row => ({
    accountId: a.accountId,
    status: a.status,
    email: a.email ?? '',
    company: a.company ?? '',
    monthlyBudgetUsd: a.limits.monthlyBudgetUsd ?? '',
    dailyBudgetUsd: a.limits.dailyBudgetUsd ?? '',
    rpm: a.limits.rpm ?? '',
    tpm: a.limits.tpm ?? '',
  });

  const opened = await openRuntime(env);
  const svc = opened.ops.accounts;
  const privacy = opened.ops.privacy;
  try {
    switch (`${cmd} ${sub ?? ''}`.trim()) {
      case 'accounts create': {
        const a = await svc.createAccount({
          accountId: need(arg, 'accounts create <id>'),
          email: v.email,
          company: v.company,
          limits: limits(),
        });
        return emit(a, () => [accountRow(a)]);
      }
      case 'accounts list': {
        const list = await svc.listAccounts();
        return emit(list, () => list.map(accountRow));
      }
      case 'accounts show': {
        const a = await svc.getAccount(need(arg, 'accounts show <id>'));
        return emit(a, () => [accountRow(a)]);
      }
      case 'accounts update': {
        const a = await svc.updateAccount(need(arg, 'accounts update <id>'), {
          email: v.email,
          company: v.company,
          status: v.status,
          limits: limits(),
        });
        return emit(a, () => [accountRow(a)]);
      }
      case 'accounts close': {
        const a = await svc.closeAccount(need(arg, 'accounts close <id>'));
        return out(`Closed ${a.accountId}; its keys are revoked. Its data is deleted after the grace period.`);
      }
      case 'keys create': {
        const account = need(v.account, '--account <id>');
        // A mistyped account would get a key outside the budget and limits of the intended one: an
        // unknown account is created only when asked (--create-account).
        await svc.getAccount(account).catch(async (err) => {
          if (!(err instanceof RouterError && err.code === 'account_not_found')) throw err;
          if (!v['create-account']) {
            const known = (await svc.listAccounts()).map((a) => a.accountId);
            throw new UsageError(
              `unknown account "${account}"${didYouMean(account, known)}; create it with \`ctr accounts create ${account}\`, or pass --create-account`,
            );
          }
          await svc.createAccount({ accountId: account });
        });
        const k = await svc.createKey(account, { name: v.name ?? 'default', validUntil: v.expires, limits: limits() });
        if (v.json) return out(JSON.stringify(k));
        out(`Created key ${k.keyId} for account ${account} (${k.name}).`);
        return out(`Secret (shown once, store it now): ${k.key}`);
      }
      case 'keys list': {
        const account = need(v.account, '--account <id>');
        const list = await svc.listKeys(account);
        const today = new Date().toISOString().slice(0, 10); // last use: this month's answered requests
        const used = new Map((await svc.usage(account, { from: `${today.slice(0, 8)}01`, to: today, by: 'key' })).map((r) => [r.group, r]));
        return emit(list, () =>
          list.map((k) => ({
            keyId: k.keyId,
            name: k.name,
            prefix: k.prefix,
            status: k.status,
            rpm: k.limits.rpm ?? '',
            tpm: k.limits.tpm ?? '',
            dailyBudgetUsd: k.limits.dailyBudgetUsd ?? '',
            monthlyBudgetUsd: k.limits.monthlyBudgetUsd ?? '',
            lastUse: used.get(k.keyId)?.lastAt || '',
            createdAt: k.createdAt,
            validUntil: k.validUntil ?? '',
          })),
        );
      }
      case 'keys revoke': {
        const k = await svc.revokeKey(need(arg, 'keys revoke <key-id>'));
        return out(`Revoked ${k.keyId}. Warm functions stop accepting it within 30 s.`);
      }
      case 'keys rotate': {
        const k = await svc.rotateKey(need(arg, 'keys rotate <key-id>'));
        if (v.json) return out(JSON.stringify(k));
        out(`Created key ${k.keyId} replacing ${k.rotatedFrom}; the old key is revoked.`);
        return out(`Secret (shown once, store it now): ${k.key}`);
      }
      case 'keys limits': {
        const k = await svc.setKeyLimits(need(arg, 'keys limits <key-id>'), limits() ?? {});
        return emit(k, () => [{ keyId: k.keyId, ...k.limits }]);
      }
      case 'usage': {
        const to = v.to ?? new Date().toISOString().slice(0, 10);
        const by = (v.by ?? 'day') as UsageGrouping;
        if (!USAGE_GROUPINGS.includes(by)) throw new UsageError(`--by is ${USAGE_GROUPINGS.join(', ')}`);
        const account = need(v.account, '--account <id>');
        const rows = await svc.usage(account, { from: v.from ?? `${to.slice(0, 8)}01`, to, by });
        const names = by === 'key' ? new Map((await svc.listKeys(account)).map((k) => [k.keyId, k.name])) : undefined;
        return emit(rows, () =>
          rows.map((r) => ({
            [by]: r.group,
            ...(names ? { name: names.get(r.group) ?? '' } : {}),
            requests: r.requests,
            errors: r.errors,
            refused: r.refusals,
            promptTokens: r.promptTokens,
            completionTokens: r.completionTokens,
            cachedTokens: r.cachedReadTokens,
            costUsd: r.costUsd.toFixed(9),
            savedUsd: r.savingsUsd.toFixed(9),
          })),
        );
      }
      case 'statement': {
        const s = await svc.statement(need(v.account, '--account <id>'), need(v.month, '--month YYYY-MM'));
        if (v.json) return out(JSON.stringify(s));
        const rows = s.lines.map((l) => ({
          model: l.model,
          provider: l.provider,
          requests: l.requests,
          promptTokens: l.promptTokens,
          completionTokens: l.completionTokens,
          costUsd: nanoToUsd(l.costNanoUsd).toFixed(9),
          savedUsd: nanoToUsd((l.referenceCostNanoUsd ?? l.costNanoUsd) - l.costNanoUsd).toFixed(9),
        }));
        if (v.csv) return out(csv(rows));
        out(`Statement ${s.month} for account ${s.accountId} (generated ${s.generatedAt})`);
        out(table(rows));
        const saved = (s.totalReferenceCostNanoUsd ?? s.totalCostNanoUsd) - s.totalCostNanoUsd;
        out(`Saved: $${nanoToUsd(saved).toFixed(9)} against the dearest eligible offer of each requested model`);
        return out(`Total: ${s.totalRequests} requests, $${nanoToUsd(s.totalCostNanoUsd).toFixed(9)}`);
      }
      case 'support open':
      case 'support reply':
      case 'support resolve': {
        const account = need(v.account, '--account <id>');
        const support = opened.ops.support;
        const message = () => ({ from: v.author ?? 'customer', text: need(v.message, '--message') });
        const t =
          sub === 'open'
            ? await support.open((await svc.getAccount(account)).accountId, message())
            : sub === 'reply'
              ? await support.reply(account, need(arg, 'support reply <ticket-id>'), message())
              : await support.resolve(account, need(arg, 'support resolve <ticket-id>'));
        if (v.json) return out(JSON.stringify(t));
        return out(
          `Ticket ${t.ticketId}: ${t.status}${t.expiresAt ? `, deleted after ${t.expiresAt}` : ''} (${t.messages.length} message(s))`,
        );
      }
      case 'support list': {
        const list = await opened.ops.support.list(need(v.account, '--account <id>'));
        return emit(list, () =>
          list.map((t) => ({
            ticketId: t.ticketId,
            status: t.status,
            openedAt: t.openedAt,
            messages: t.messages.length,
            expiresAt: t.expiresAt ?? '',
          })),
        );
      }
      case 'privacy export': {
        const data = JSON.stringify(await privacy.exportAccount(need(arg, 'privacy export <id>'), 'operator'), null, 2);
        if (!v.out) return out(data);
        const { writeFileSync } = await import('node:fs');
        writeFileSync(v.out, `${data}\n`, { mode: 0o600 });
        return out(`Wrote the export of ${arg} to ${v.out}.`);
      }
      case 'privacy correct': {
        const fields = { ...(v.email !== undefined ? { email: v.email } : {}), ...(v.company !== undefined ? { company: v.company } : {}) };
        const a = await privacy.correct(need(arg, 'privacy correct <id>'), fields, 'operator');
        return emit(a, () => [accountRow(a)]);
      }
      case 'privacy restrict':
      case 'privacy object': {
        const id = need(arg, `privacy ${sub} <id>`);
        const a = sub === 'restrict' ? await privacy.restrict(id, !v.off, 'operator') : await privacy.object(id, !v.off, 'operator');
        return out(`${id}: restricted=${Boolean(a.flags.restricted)} analyticsOptOut=${Boolean(a.flags.analyticsOptOut)}`);
      }
      case 'privacy erase': {
        const id = need(arg, 'privacy erase <id>');
        if (!v.yes) throw new UsageError(`erasure cannot be undone; run again with --yes to erase ${id}`);
        const counts = await privacy.erase(id, 'operator');
        if (v.json) return out(JSON.stringify(counts));
        return out(
          `Erased ${id}: ${Object.entries(counts)
            .map(([k, n]) => `${k}=${n}`)
            .join(' ')}`,
        );
      }
      case 'privacy audit': {
        const trail = await privacy.auditTrail(need(arg, 'privacy audit <id>'));
        return emit(trail, () =>
          trail.map((e) => ({ at: e.at, action: e.action, actor: e.actor, outcome: e.outcome, counts: JSON.stringify(e.counts) })),
        );
      }
      case 'console': {
        // Loaded only here: the page, its server and Chart.js are for this command alone.
        const { startConsole } = await import('../console/server');
        const c = await startConsole({ backend: svc, port: num(v.port, '--port') ?? 8790, where: opened.where });
        out(`Console: ${c.url} (127.0.0.1 only; Ctrl-C stops it)`);
        await new Promise<void>((done) => {
          process.once('SIGINT', done);
          process.once('SIGTERM', done);
        });
        return c.close();
      }
      default:
        throw new UsageError(`unknown command: ${positionals.join(' ')}\n\n${HELP}`);
    }
  } finally {
    await opened.close();
  }
}

/** Entry point for bin/ctr.mjs: runs a command and sets the exit code (2 for usage errors). */
export async function main(argv: string[]): Promise<void> {
  try {
    await run(argv);
  } catch (err) {
    process.stderr.write(`ctr: ${(err as Error).message}\n`);
    process.exitCode = err instanceof UsageError || err instanceof RouterError ? 2 : 1;
  }
}
