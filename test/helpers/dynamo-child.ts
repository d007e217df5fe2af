/**
 * A child process for the local-mode tests: starts DynamoDB Local on the data directory given as
 * argv[2], prints `{"pid","port"}` on one line, then waits. On stdin "throw" it crashes with an
 * uncaught exception; the test kills it otherwise (SIGKILL skips every hook).
 */
import { startDynamoLocal } from '../../lambdas/local/dynamodb-local';

const dynamo = await startDynamoLocal({ dataDir: process.argv[2] });
process.stdout.write(`${JSON.stringify({ pid: dynamo.pid, port: dynamo.port })}\n`);
process.stdin.on('data', (d) => {
  if (d.toString().includes('throw'))
    setImmediate(() => {
      throw new Error('crash');
    });
});
setInterval(() => undefined, 1000);
