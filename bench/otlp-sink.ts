// Where the ingress benchmark's telemetry-on runs export their traces: a local OTLP/HTTP receiver,
// so the cost measured is hookflow's own, not a collector's.
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** An OTLP/HTTP receiver that keeps nothing: it answers 200 and counts what it got. */
export async function startOtlpSink(): Promise<{
  url: string;
  received: { requests: number; bytes: number };
  close(): Promise<void>;
}> {
  const received = { requests: 0, bytes: 0 };
  const server = http.createServer((req, res) => {
    req.on('data', (c: Buffer) => (received.bytes += c.length));
    req.on('end', () => {
      received.requests += 1;
      res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    received,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
