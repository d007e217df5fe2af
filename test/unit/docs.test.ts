/**
 * The user docs: README stays a newcomer's page (short, no work history), every relative link in
 * README and docs/ resolves to a file of the repository, and no doc cites issues or commits.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const DOCS = [
  'README.md',
  ...readdirSync(join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];
const read = (f: string) => readFileSync(join(REPO, f), 'utf8');

describe('the user docs', () => {
  it('keep README short enough for a newcomer to read through', () => {
    expect(read('README.md').split('\n').length).toBeLessThanOrEqual(250);
  });

  it('hold no issue numbers, commit hashes or work history', () => {
    for (const f of DOCS)
      expect(read(f), f).not.toMatch(/issue #?\d+|\bof commit\b|\bcommit [0-9a-f]{7,}\b|this session|\b[0-9a-f]{7} → [0-9a-f]{7}\b/i);
  });

  it('link only to files that exist', () => {
    const broken: string[] = [];
    for (const f of DOCS)
      for (const [, target] of read(f).matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/i.test(target!) || target!.startsWith('#')) continue;
        const path = resolve(dirname(join(REPO, f)), target!.split('#')[0]!);
        if (!existsSync(path)) broken.push(`${f} → ${target}`);
      }
    expect(broken).toEqual([]);
  });
});
