/**
 * Run in a child process whose NODE_EXTRA_CA_CERTS trusts test/fixtures/tls-127.0.0.1.cert.pem
 * (test/integration/upstream-transport.test.ts): upstreamPost over HTTPS to a server with that
 * certificate, then to the same server by a name the certificate does not carry. Prints JSON.
 */
import { readFileSync } from 'node:fs';
import { createServer } from 'node:https';
import { join } from 'node:path';
import { upstreamPost } from '../../lambdas/providers/transport';

const fixtures = join(import.meta.dirname, '../fixtures');
let connections = 0;
const server = createServer(
  { key: readFileSync(join(fixtures, 'tls-127.0.0.1.key.pem')), cert: readFileSync(join(fixtures, 'tls-127.0.0.1.cert.pem')) },
  (req, res) => {
    let body = '';
    req.on('data', (c) => {
      body += c;
    });
    req.on('end', () => res.end(JSON.stringify({ got: JSON.parse(body) })));
  },
);
server.on('secureConnection', () => connections++);
await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
const port = (server.address() as { port: number }).port;
const post = (host: string) =>
  upstreamPost(`https://${host}:${port}/v1/chat/completions`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: '{"n":1}',
    signal: AbortSignal.timeout(5000),
  });
const bodies: string[] = [];
for (let i = 0; i < 3; i++) {
  const res = await post('127.0.0.1');
  let text = '';
  for await (const piece of res.body ?? []) text += Buffer.from(piece).toString('utf8');
  bodies.push(text);
}
let mismatch = 'accepted';
try {
  await post('localhost');
} catch (err) {
  mismatch = (err as NodeJS.ErrnoException).code ?? 'error';
}
server.close();
process.stdout.write(JSON.stringify({ bodies, connections, mismatch }));
