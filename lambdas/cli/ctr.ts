/**
 * The `ctr` operator CLI: API keys and usage, against the local store or a deployed stack.
 * Run `npx ctr help`.
 */
import { parseArgs } from 'node:util';
import { loadConfig } from '../core/config';
import { nanoToUsd } from '../core/pricing';
import { KeysRepo } from '../store/keys-repo';
import { UsageRepo } from '../store/usage-repo';
import { openStore } from './store';

const HELP = `Usage: ctr <command> [options]

  keys create --account <id> [--name <name>] [--json]   create a key (the secret is shown once)
  keys list --account <id> [--json]                      list an account's keys (no secrets)
  keys revoke <key-id>                                   revoke a key
  usage --account <id> [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--json]
                                                         daily usage and cost of an account

Store: the running local server's DynamoDB Local (or .local/dynamodb); set CTR_REMOTE=1,
AWS_REGION and the CTR_TABLE_* variables from the stack outputs to use a deployed stack.`;

class UsageError extends Error {}

function table(rows: Record<string, unknown>[]): string {
  if (!rows.length) return '(none)';
  const cols = Object.keys(rows[0]!);
  const widths = cols.map((c) => Math.max(c.length, ...rows.map((r) => String(r[c] ?? '').length)));
  const line = (vals: string[]) => vals.map((v, i) => v.padEnd(widths[i]!)).join('  ').trimEnd();
  return [line(cols), line(widths.map((w) => '-'.repeat(w))), ...rows.map((r) => line(cols.map((c) => String(r[c] ?? ''))))].join('\n');
}

export async function run(argv: string[], out: (s: string) => void = (s) => process.stdout.write(`${s}\n`)): Promise<void> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      account: { type: 'string' },
      name: { type: 'string' },
      json: { type: 'boolean', default: false },
      from: { type: 'string' },
      to: { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const [cmd, sub, arg] = positionals;
  if (!cmd || cmd === 'help' || values.help) return out(HELP);
  const needAccount = () => {
    if (!values.account) throw new UsageError('--account <id> is required');
    if (!/^[A-Za-z0-9_-]{1,64}$/.test(values.account)) throw new UsageError('--account: 1-64 letters, digits, _ or -');
    return values.account;
  };

  const store = await openStore();
  try {
    const keys = new KeysRepo(store.db, store.tables.apiKeys);
    if (cmd === 'keys' && sub === 'create') {
      const account = needAccount();
      const { record, secret } = await keys.create(account, values.name ?? 'default');
      if (values.json) return out(JSON.stringify({ ...record, key: secret }));
      out(`Created key ${record.keyId} for account ${account} (${record.name}).`);
      out(`Secret (shown once, store it now): ${secret}`);
      return;
    }
    if (cmd === 'keys' && sub === 'list') {
      const list = await keys.listByAccount(needAccount());
      if (values.json) return out(JSON.stringify(list));
      return out(table(list.map((k) => ({ keyId: k.keyId, name: k.name, prefix: k.prefix, status: k.status, createdAt: k.createdAt }))));
    }
    if (cmd === 'keys' && sub === 'revoke') {
      if (!arg) throw new UsageError('keys revoke <key-id>');
      if (!(await keys.revoke(arg))) throw new UsageError(`no key ${arg}`);
      return out(`Revoked ${arg}. Warm functions stop accepting it within 30 s.`);
    }
    if (cmd === 'usage') {
      const account = needAccount();
      const today = new Date().toISOString().slice(0, 10);
      const usage = new UsageRepo(store.db, store.tables.usage, loadConfig().retention.usageDays);
      const days = await usage.daily(account, values.from ?? `${today.slice(0, 8)}01`, values.to ?? today);
      if (values.json) return out(JSON.stringify(days));
      return out(
        table(
          days.map((d) => ({
            day: d.day,
            requests: d.requests,
            promptTokens: d.promptTokens,
            completionTokens: d.completionTokens,
            cachedTokens: d.cachedReadTokens,
            costUsd: nanoToUsd(d.costNanoUsd).toFixed(9),
          })),
        ),
      );
    }
    throw new UsageError(`unknown command: ${positionals.join(' ')}\n\n${HELP}`);
  } finally {
    await store.close();
  }
}

/** Entry point for bin/ctr.mjs: runs a command and sets the exit code (2 for usage errors). */
export async function main(argv: string[]): Promise<void> {
  try {
    await run(argv);
  } catch (err) {
    process.stderr.write(`ctr: ${(err as Error).message}\n`);
    process.exitCode = err instanceof UsageError ? 2 : 1;
  }
}
