/**
 * CORS over real sockets in local mode: a preflight from a configured origin is answered without a
 * key, one from another origin gets no CORS header, and a page in headless Chromium served from the
 * configured origin gets a chat completion (buffered and streamed) and reads the router's headers,
 * while the same page from another origin is refused by the browser.
 */
import { createServer, request, type Server } from 'node:http';
import type { Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchChromium, openPage } from '../helpers/browser';
import { rawDefaultConfig } from '../helpers/config';
import { startTestRouter, type TestRouter } from '../helpers/local-router';

/** A page server on its own port (so its own origin); it serves an empty page. */
async function startPageServer(): Promise<{ server: Server; origin: string }> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>app</title>');
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  return { server, origin: `http://127.0.0.1:${(server.address() as { port: number }).port}` };
}

/** A raw HTTP request (Node's fetch may not send every header a browser sends). */
function raw(
  url: string,
  method: string,
  headers: Record<string, string>,
): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('timeout', () => req.destroy(new Error('timed out')));
    req.on('error', reject);
    req.end();
  });
}

const corsHeaderNames = (headers: Record<string, unknown>) => Object.keys(headers).filter((h) => h.startsWith('access-control-'));

let router: TestRouter;
let allowedPage: { server: Server; origin: string };
let otherPage: { server: Server; origin: string };
let browser: Browser;
let key: string;

beforeAll(async () => {
  allowedPage = await startPageServer();
  otherPage = await startPageServer();
  const config = rawDefaultConfig();
  config.cors = { allowOrigins: [allowedPage.origin] };
  router = await startTestRouter(config);
  key = await router.createKey('acct-cors');
  browser = await launchChromium();
});

afterAll(async () => {
  await browser?.close();
  await router?.stop();
  await new Promise((r) => allowedPage?.server.close(r));
  await new Promise((r) => otherPage?.server.close(r));
});

describe('CORS preflight over a socket', () => {
  it('answers a configured origin with 204 and the CORS headers, without a key', async () => {
    // Act
    const res = await raw(`${router.baseUrl}/chat/completions`, 'OPTIONS', {
      origin: allowedPage.origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,x-stainless-os',
    });

    // Assess
    expect(res.status).toBe(204);
    expect(res.headers['access-control-allow-origin']).toBe(allowedPage.origin);
    expect(res.headers['access-control-allow-methods']).toBe('POST');
    expect(res.headers['access-control-allow-headers']).toBe('authorization, content-type, x-stainless-os');
    expect(res.headers['access-control-max-age']).toBe('600');
    expect(res.headers.vary).toContain('Origin');
  });

  it('gives another origin no CORS header', async () => {
    // Act
    const res = await raw(`${router.baseUrl}/chat/completions`, 'OPTIONS', {
      origin: otherPage.origin,
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type',
    });

    // Assess
    expect(res.status).toBe(403);
    expect(corsHeaderNames(res.headers)).toEqual([]);
  });

  it('never answers one on the admin API', async () => {
    // Act
    const res = await raw(`${router.baseUrl.replace(/\/v1$/, '')}/admin/accounts`, 'OPTIONS', {
      origin: allowedPage.origin,
      'access-control-request-method': 'GET',
    });

    // Assess
    expect(res.status).toBe(405);
    expect(corsHeaderNames(res.headers)).toEqual([]);
  });
});

describe('a page in Chromium', () => {
  it('from the configured origin gets a chat completion, buffered and streamed, and reads the request id', async () => {
    // Prepare
    const { page, errors } = await openPage(browser);
    await page.goto(allowedPage.origin);

    // Act
    const got = await page.evaluate(
      async ({ base, apiKey }) => {
        const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json', 'x-stainless-retry-count': '0' };
        const body = { model: 'mock/echo-small', messages: [{ role: 'user', content: 'hello from a page' }], max_tokens: 16 };
        const buffered = await fetch(`${base}/chat/completions`, { method: 'POST', headers, body: JSON.stringify(body) });
        const streamed = await fetch(`${base}/chat/completions`, {
          method: 'POST',
          headers,
          body: JSON.stringify({ ...body, stream: true, stream_options: { include_usage: true } }),
        });
        return {
          status: buffered.status,
          requestId: buffered.headers.get('x-request-id'),
          completion: (await buffered.json()) as { object: string; choices: { message: { content: string } }[] },
          streamStatus: streamed.status,
          stream: await streamed.text(),
        };
      },
      { base: router.baseUrl, apiKey: key },
    );

    // Assess
    expect(got.status).toBe(200);
    expect(got.requestId).toMatch(/\S/);
    expect(got.completion.object).toBe('chat.completion');
    expect(got.completion.choices[0].message.content).toMatch(/\S/);
    expect(got.streamStatus).toBe(200);
    expect(got.stream).toContain('"chat.completion.chunk"');
    expect(got.stream.trim().endsWith('data: [DONE]')).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  });

  it('from the configured origin reads an error answer', async () => {
    // Prepare
    const { page } = await openPage(browser);
    await page.goto(allowedPage.origin);

    // Act
    const got = await page.evaluate(async (base) => {
      const res = await fetch(`${base}/chat/completions`, {
        method: 'POST',
        headers: { authorization: 'Bearer sk-ctr-not-a-key', 'content-type': 'application/json' },
        body: JSON.stringify({ model: 'mock/echo-small', messages: [{ role: 'user', content: 'hi' }] }),
      });
      return { status: res.status, body: (await res.json()) as { error: { type: string } } };
    }, router.baseUrl);

    // Assess
    expect(got.status).toBe(401);
    expect(got.body.error.type).toBe('authentication_error');
    await page.close();
  });

  it('from another origin is refused by the browser', async () => {
    // Prepare
    const { page } = await openPage(browser);
    await page.goto(otherPage.origin);

    // Act
    const outcome = await page.evaluate(
      async ({ base, apiKey }) => {
        try {
          await fetch(`${base}/chat/completions`, {
            method: 'POST',
            headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
            body: JSON.stringify({ model: 'mock/echo-small', messages: [{ role: 'user', content: 'hi' }] }),
          });
          return 'answered';
        } catch (err) {
          return (err as Error).name;
        }
      },
      { base: router.baseUrl, apiKey: key },
    );

    // Assess
    expect(outcome).toBe('TypeError');
    await page.close();
  });
});
