/**
 * Runs the tests the policy map cites — their files, in one vitest invocation, with the JSON
 * reporter — and reads back each test's status and how many assertions it made (counted into the
 * test's meta by assertion-count.setup.ts). A cited test proves its commitment only if it ran,
 * passed and asserted something; `evaluate.ts` turns anything less into a missing item.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, sep } from 'node:path';
import type { TestRef } from './types';

/** The outcome of one test as vitest reported it. */
export interface TestRun {
  /** `passed`, `failed`, `skipped`, `pending`, `todo`. */
  readonly status: string;
  /** Assertions made (expect calls, including those inside `vi.waitFor`). */
  readonly assertions: number;
  /** First line of the first failure message, if it failed. */
  readonly failure?: string;
}

/** Runs of the cited tests, by `testKey(file, title)`; `error` when vitest itself could not run. */
export interface CitedTestRuns {
  readonly runs: ReadonlyMap<string, readonly TestRun[]>;
  readonly error?: string;
}

/** Key of a test: its repository-relative file and its own title (not the describe path). */
export const testKey = (file: string, title: string): string => `${file}\u0000${title}`;

/**
 * The vitest CLI arguments that run the cited tests: their files, whole. Not filtered by title,
 * because some cited tests assess what the tests before them in their file did (the chat canary
 * searches the tables and logs the whole file filled).
 */
export function citedTestArgs(refs: readonly TestRef[]): string[] {
  return [...new Set(refs.map((r) => r.file))].sort();
}

interface VitestJson {
  readonly testResults?: ReadonlyArray<{
    readonly name: string;
    readonly assertionResults: ReadonlyArray<{
      title: string;
      status: string;
      meta?: { assertionCalls?: number };
      failureMessages?: string[] | null;
    }>;
  }>;
}

/** Reads vitest's JSON report into runs by test key. */
export function readVitestJson(report: VitestJson, repoRoot: string): Map<string, TestRun[]> {
  const runs = new Map<string, TestRun[]>();
  for (const file of report.testResults ?? []) {
    const rel = relative(repoRoot, file.name).split(sep).join('/');
    for (const a of file.assertionResults) {
      const failure = a.failureMessages?.[0]?.split('\n')[0];
      const run: TestRun = { status: a.status, assertions: a.meta?.assertionCalls ?? 0, ...(failure ? { failure } : {}) };
      const key = testKey(rel, a.title);
      runs.set(key, [...(runs.get(key) ?? []), run]);
    }
  }
  return runs;
}

/**
 * Runs the cited tests with the project's vitest (bounded by `timeoutMs`) and returns their runs.
 * Vitest's own progress goes to stderr; its exit code is ignored, since each test's status is read.
 */
export function runCitedTests(refs: readonly TestRef[], repoRoot: string, timeoutMs = 900_000): CitedTestRuns {
  const dir = mkdtempSync(join(tmpdir(), 'ctr-cited-'));
  const out = join(dir, 'vitest.json');
  try {
    const res = spawnSync(
      process.execPath,
      [
        join(repoRoot, 'node_modules/vitest/vitest.mjs'),
        'run',
        '--config',
        'scripts/compliance/vitest.cited.config.ts',
        '--reporter=json',
        `--outputFile=${out}`,
        ...citedTestArgs(refs),
      ],
      { cwd: repoRoot, stdio: ['ignore', 'ignore', 'inherit'], timeout: timeoutMs, killSignal: 'SIGKILL' },
    );
    if (res.error) return { runs: new Map(), error: `vitest did not run: ${res.error.message}` };
    let report: VitestJson;
    try {
      report = JSON.parse(readFileSync(out, 'utf8')) as VitestJson;
    } catch {
      return { runs: new Map(), error: `vitest wrote no JSON report (exit ${res.status ?? res.signal})` };
    }
    return { runs: readVitestJson(report, repoRoot) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Why a cited test's runs do not prove anything, or undefined when every run passed with assertions. */
export function runProblem(runs: CitedTestRuns, ref: TestRef): string | undefined {
  if (runs.error) return runs.error;
  const found = runs.runs.get(testKey(ref.file, ref.title));
  if (!found?.length) return `test "${ref.title}" did not run`;
  const bad = found.find((r) => r.status !== 'passed');
  if (bad) return `test "${ref.title}" ${bad.status}${bad.failure ? `: ${bad.failure}` : ''}`;
  if (found.some((r) => r.assertions < 1)) return `test "${ref.title}" passed without making an assertion`;
  return undefined;
}
