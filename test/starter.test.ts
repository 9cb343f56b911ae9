// Telling "Temporal is away" (everything waits in the outbox) from "Temporal refuses this start"
// (a configuration problem, logged as an error), with real errors from a real server.
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { freePort } from '../lib/net';
import { isTemporalUnavailable, temporalStarter } from '../server/starter';
import { deliveryKeyOf } from './helpers/deliveries';
import { testEnv } from './helpers/env';

const ref = (id: string) => ({
  key: deliveryKeyOf('github', id),
  provider: 'github',
  source: 'github',
  hookId: '-',
  deliveryId: id,
  event: 'issues',
  action: 'opened',
  installation: null,
  repository: null,
});

describe('classifying failed starts', () => {
  const connections: Connection[] = [];
  after(() => Promise.all(connections.map((c) => c.close())));

  test('an unreachable server is unavailable', async () => {
    const connection = Connection.lazy({ address: `127.0.0.1:${await freePort()}` });
    connections.push(connection);
    const starter = temporalStarter(new Client({ connection }), 'tq', 500);
    const err = await starter.start(ref('a'), 'onIssues', false).catch((e: unknown) => e);
    assert.ok(err instanceof Error);
    assert.equal(isTemporalUnavailable(err), true, String(err));
  });

  test('a start Temporal refuses (unknown namespace) is not an outage', async () => {
    const connection = await Connection.connect({ address: testEnv.temporalAddress });
    connections.push(connection);
    const starter = temporalStarter(new Client({ connection, namespace: 'no-such-namespace' }), 'tq', 5_000);
    const err = await starter.start(ref('b'), 'onIssues', false).catch((e: unknown) => e);
    assert.ok(err instanceof Error);
    assert.match(String(err), /namespace/i);
    assert.equal(isTemporalUnavailable(err), false, String(err));
  });
});
