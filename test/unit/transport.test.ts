// The transport against a loopback server: a connection that fails is a network ApiError that keeps
// fetch's own error as its cause.
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ApiError } from '../../activities/github/api-error';
import { baseHeaders, createTransport } from '../../activities/github/transport';

let server: http.Server;
let url: string;
before(async () => {
  server = http.createServer((req, res) => {
    if (req.url === '/reset') {
      req.socket.destroy();
      return;
    }
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ path: req.url }));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

const send = (path: string) => {
  const transport = createTransport(url, 2_000);
  return transport.send({
    method: 'GET',
    url: transport.resolve(path),
    headers: baseHeaders('token x', 'job-1'),
    route: path,
    installation: '7',
  });
};

test('an answer comes back with its status and body text', async () => {
  const sent = await send('/ok');
  assert.equal(sent.status, 200);
  assert.deepEqual(JSON.parse(sent.text), { path: '/ok' });
});

test('a reset connection is a network error that keeps its cause', async () => {
  const err = await send('/reset').then(
    () => assert.fail('expected a network error'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApiError);
  assert.equal(err.kind, 'network');
  assert.ok(err.cause instanceof Error, 'the underlying error is kept');
  assert.equal(err.cause.message, 'fetch failed');
  assert.equal(err.details.installation, '7');
});
