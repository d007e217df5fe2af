/**
 * Child processes for tests that must see everything a process writes: raw stdout and stderr are
 * kept as bytes (not through any logger of ours), waits are bounded, and stopping escalates from
 * SIGTERM to SIGKILL after a grace period.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';

export interface WatchedChild {
  readonly child: ChildProcess;
  /** Everything written to stdout so far, decoded as UTF-8. */
  stdout(): string;
  stderr(): string;
  /** Resolves when `pattern` appears on stdout; rejects on exit or after `timeoutMs`. */
  waitForStdout(pattern: RegExp, timeoutMs: number): Promise<RegExpExecArray>;
  /** Resolves with the exit code; rejects after `timeoutMs`. */
  exited(timeoutMs: number): Promise<number | null>;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

/** Spawns `node <args>` with exactly `env` (plus nothing inherited) and records its raw output. */
export function spawnNode(args: readonly string[], options: { cwd: string; env: NodeJS.ProcessEnv }): WatchedChild {
  const child = spawn(process.execPath, [...args], { cwd: options.cwd, env: options.env, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  child.stdout!.on('data', (b: Buffer) => out.push(b));
  child.stderr!.on('data', (b: Buffer) => err.push(b));
  const exit = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const bounded = <T>(p: Promise<T>, timeoutMs: number, what: string) =>
    new Promise<T>((resolve, reject) => {
      const t = setTimeout(() => reject(new Error(`timed out after ${timeoutMs} ms waiting for ${what}`)), timeoutMs);
      p.then(
        (v) => {
          clearTimeout(t);
          resolve(v);
        },
        (e) => {
          clearTimeout(t);
          reject(e);
        },
      );
    });
  const stdout = () => Buffer.concat(out).toString('utf8');
  const stderr = () => Buffer.concat(err).toString('utf8');
  return {
    child,
    stdout,
    stderr,
    waitForStdout(pattern, timeoutMs) {
      const found = new Promise<RegExpExecArray>((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(stdout());
          if (m) {
            child.stdout!.off('data', check);
            resolve(m);
          }
        };
        child.stdout!.on('data', check);
        void exit.then((code) => reject(new Error(`exited (${code}) before ${pattern}; stderr: ${stderr().slice(-2000)}`)));
        check();
      });
      return bounded(found, timeoutMs, String(pattern));
    },
    exited: (timeoutMs) => bounded(exit, timeoutMs, 'exit'),
    async stop(graceMs = 15_000) {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.kill('SIGTERM');
      try {
        await bounded(exit, graceMs, 'exit after SIGTERM');
      } catch {
        child.kill('SIGKILL');
        await bounded(exit, 5_000, 'exit after SIGKILL');
      }
    },
  };
}

/** Every regular file under `dir`, recursively, with its bytes decoded as latin1 (byte-exact for ASCII needles). */
export function filesUnder(dir: string): Array<{ path: string; text: string }> {
  const out: Array<{ path: string; text: string }> = [];
  for (const name of readdirSync(dir)) {
    const path = join(dir, name);
    const st = statSync(path);
    if (st.isDirectory()) out.push(...filesUnder(path));
    else if (st.isFile()) out.push({ path, text: readFileSync(path).toString('latin1') });
  }
  return out;
}
