/**
 * Checks code and test references by reading the files: an exported symbol (or a member of an
 * exported class) must be declared where the policy map says, and a test title must be the
 * literal title of an `it(…)` / `test(…)` in that file. Line numbers are found at generation time.
 */
import type { CodeEvidence, CodeRef, TestEvidence, TestRef } from './types';

/** Reads a repository-relative file; `undefined` when it does not exist. */
export type ReadSource = (file: string) => string | undefined;

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** 1-based line of a character offset. */
function lineAt(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset && i < text.length; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}

/**
 * Extent of a declaration that starts on `startLine` (0-based): up to the first later line that
 * closes at the declaration's own indentation (`}` or `]`), as formatted code does. A one-line
 * declaration is its own extent.
 */
function extent(lines: readonly string[], startLine: number): { from: number; to: number } {
  const first = lines[startLine] ?? '';
  const indent = /^\s*/.exec(first)![0];
  const opens = (first.match(/[{[]/g) ?? []).length;
  const closes = (first.match(/[}\]]/g) ?? []).length;
  if (opens === closes && /[;}\]]\s*$/.test(first)) return { from: startLine, to: startLine };
  // `}` or `]` at the declaration's indentation; a `) {` line only ends a multi-line signature.
  const close = new RegExp(`^${escapeRegExp(indent)}[}\\]]`);
  for (let i = startLine + 1; i < lines.length; i++) if (close.test(lines[i]!)) return { from: startLine, to: i };
  return { from: startLine, to: lines.length - 1 };
}

const DECLARATION = (name: string) =>
  new RegExp(
    `^export\\s+(?:default\\s+)?(?:declare\\s+)?(?:abstract\\s+)?(?:async\\s+)?(?:function\\*?|class|const|let|var|interface|type|enum)\\s+${escapeRegExp(name)}\\b`,
    'm',
  );

const MEMBER = (name: string) =>
  new RegExp(
    `^\\s+(?:(?:public|private|protected|static|readonly|override|abstract)\\s+)*(?:async\\s+)?(?:get\\s+|set\\s+)?${escapeRegExp(name)}\\s*[(<=:]`,
  );

/**
 * Finds a code reference in a file's text: `name` (an exported declaration) or `Class#member`.
 * Returns the 1-based line of the declaration, or the reason it is missing.
 *
 * @example
 * locateSymbol('export class A {\n  async run() {}\n}\n', 'A#run') // { line: 2 }
 */
export function locateSymbol(text: string, symbol: string, uses?: string): { line: number } | { problem: string } {
  const [owner, member] = symbol.split('#') as [string, string | undefined];
  const decl = DECLARATION(owner).exec(text);
  if (!decl) return { problem: `no exported declaration of ${owner}` };
  const lines = text.split('\n');
  const ownerLine = lineAt(text, decl.index) - 1;
  let found = ownerLine;
  if (member) {
    const body = extent(lines, ownerLine);
    const re = MEMBER(member);
    const hit = lines.findIndex((l, i) => i > body.from && i <= body.to && re.test(l));
    if (hit < 0) return { problem: `${owner} has no member ${member}` };
    found = hit;
  }
  if (uses !== undefined) {
    const { from, to } = extent(lines, found);
    if (!lines.slice(from, to + 1).some((l) => l.includes(uses))) return { problem: `${symbol} does not use ${uses}` };
  }
  return { line: found + 1 };
}

/**
 * Finds a test by its exact title: a string literal (any quote) that is the first argument of
 * `it`, `test` or a modifier of them. Skipped and todo tests prove nothing and are reported.
 */
export function locateTest(text: string, title: string): { line: number } | { problem: string } {
  for (const q of ["'", '"', '`']) {
    const needle = `${q}${title}${q}`;
    let from = 0;
    for (let idx = text.indexOf(needle, from); idx >= 0; idx = text.indexOf(needle, from)) {
      from = idx + 1;
      const before = text.slice(Math.max(0, idx - 80), idx).trimEnd();
      const call = /\b(it|test)((?:\.[A-Za-z]+)*)\($/.exec(before);
      if (!call) continue;
      if (/\.(skip|todo)\b/.test(call[2] ?? '')) return { problem: `test "${title}" is skipped` };
      return { line: lineAt(text, idx) };
    }
  }
  return { problem: `no test titled "${title}"` };
}

/** Checks one code reference against the repository. */
export function checkCodeRef(ref: CodeRef, read: ReadSource): CodeEvidence {
  const text = read(ref.file);
  if (text === undefined) return { ...ref, ok: false, problem: `file ${ref.file} not found` };
  const at = locateSymbol(text, ref.symbol, ref.uses);
  return 'line' in at ? { ...ref, ok: true, line: at.line } : { ...ref, ok: false, problem: at.problem };
}

/** Checks one test reference against the repository. */
export function checkTestRef(ref: TestRef, read: ReadSource): TestEvidence {
  const text = read(ref.file);
  if (text === undefined) return { ...ref, ok: false, problem: `file ${ref.file} not found` };
  const at = locateTest(text, ref.title);
  return 'line' in at ? { ...ref, ok: true, line: at.line } : { ...ref, ok: false, problem: at.problem };
}
