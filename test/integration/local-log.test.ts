/**
 * `npm start` on a terminal (CTR_LOG_FORMAT=text, as a TTY selects it): one readable line per
 * request, with the key's name, model → offer, status, tokens, cost and latency; refusals get a
 * line too; no EMF metric records and no JSON on the terminal; no prompt or completion either.
 */
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import OpenAI from 'openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort } from '../../lambdas/local/dynamodb-local';
import { spawnNode, type WatchedChild } from '../helpers/child-output';

const REPO = fileURLToPath(new URL('../..', import.meta.url));
const CANARY = 'zebra-quartz-4417';
let dir: string;
let server: WatchedChild;
let baseUrl: string;

const start = async (env: NodeJS.ProcessEnv, cwd = dir) => {
  const tsxLoader = pathToFileURL(join(REPO, 'node_modules/tsx/dist/loader.mjs')).href;
  return spawnNode(['--import', tsxLoader, join(REPO, 'lambdas/local/main.ts')], {
    cwd,
    env: { PATH: process.env.PATH, HOME: process.env.HOME, CTR_CONFIG: join(REPO, 'config/router.config.json'), ...env },
  });
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'ctr-local-log-'));
  server = await start({ PORT: String(await freePort()), CTR_DYNAMODB_PORT: String(await freePort()), CTR_LOG_FORMAT: 'text' });
  baseUrl = (await server.waitForStdout(/running on (http:\/\/127\.0\.0\.1:\d+\/v1)/, 90_000))[1]!;
}, 120_000);

afterAll(async () => {
  await server?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('npm start on a terminal', () => {
  it('prints one readable line per request, refusals included, and nothing for machines', async () => {
    // Prepare
    const admin = baseUrl.replace(/\/v1$/, '/admin');
    expect((await fetch(`${admin}/accounts`, { method: 'POST', body: JSON.stringify({ accountId: 'demo' }) })).status).toBe(201);
    const created = await fetch(`${admin}/accounts/demo/keys`, { method: 'POST', body: JSON.stringify({ name: 'backend' }) });
    const { key } = (await created.json()) as { key: string };
    const client = new OpenAI({ baseURL: baseUrl, apiKey: key, maxRetries: 0, timeout: 30_000 });
    const messages = [{ role: 'user' as const, content: `say ${CANARY}` }];
    // Act
    await client.chat.completions.create({ model: 'mock/echo-small', messages });
    for await (const _ of await client.chat.completions.create({ model: 'mock/echo-small', messages, stream: true }));
    const unauthorized = await new OpenAI({ baseURL: baseUrl, apiKey: 'sk-ctr-nope', maxRetries: 0 }).chat.completions
      .create({ model: 'mock/echo-small', messages })
      .catch((e) => e.status);
    const unknown = await client.chat.completions.create({ model: 'nosuch/model', messages }).catch((e) => e.status);
    // Assess
    expect([unauthorized, unknown]).toEqual([401, 404]);
    const lines = await server.waitForStdout(/(mock\/echo-small → [^\n]*\n[\s\S]*){2}/, 15_000).then(() =>
      server
        .stdout()
        .split('\n')
        .filter((l) => /^\d\d:\d\d:\d\d {2}/.test(l)),
    );
    const served = lines.filter((l) => l.includes('mock/echo-small →'));
    expect(served).toHaveLength(2);
    for (const l of served)
      expect(l).toMatch(
        /^\d\d:\d\d:\d\d {2}backend {2}mock\/echo-small → mock\/mock-small {2}200 {2}\d+ \+ \d+ tokens {2}\$0\.\d+ {2}\d+ ms/,
      );
    expect(lines.some((l) => / {2}POST \/v1\/chat\/completions {2}401 {2}/.test(l))).toBe(true);
    expect(lines.some((l) => / {2}POST \/v1\/chat\/completions {2}404 {2}/.test(l))).toBe(true);
    const stdout = server.stdout();
    expect(stdout.split('\n').filter((l) => l.startsWith('{'))).toEqual([]);
    expect(stdout).not.toContain(CANARY);
    expect(server.stderr()).not.toContain(CANARY);
  });

  it('names PORT when the port is in use or not a number', async () => {
    const other = join(dir, 'other');
    mkdirSync(other);
    const taken = await start({ PORT: new URL(baseUrl).port, CTR_DYNAMODB_PORT: String(await freePort()) }, other);
    expect(await taken.exited(60_000)).toBe(1);
    expect(taken.stderr()).toMatch(/^Port \d+ is in use: stop what holds it, or set PORT/m);
    const bad = await start({ PORT: 'abc' }, other);
    expect(await bad.exited(30_000)).toBe(1);
    expect(bad.stderr()).toContain('PORT must be a port number from 0 to 65535, not "abc".');
  }, 120_000);
});
