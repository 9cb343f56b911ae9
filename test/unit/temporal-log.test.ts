// The Temporal SDK's log entries reach hookflow's logger as fields: an Error in their metadata is
// written with its message and stack (an Error's own fields are not enumerable, so plain JSON
// writes it as `{}`), and the policy that hides secrets applies to them as to any line.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLogger } from '../../lib/logger';
import { temporalLogFunction } from '../../lib/temporal/runtime';
import { CENSOR } from '../../lib/telemetry/redaction';

test("the SDK's log entries keep their errors' message and stack", () => {
  const lines: string[] = [];
  const forward = temporalLogFunction(
    createLogger('trace', 'test', { write: (l: string) => void lines.push(l) }),
  );
  const failure = new Error('Activity task failed', { cause: new Error('connection refused') });
  forward({
    level: 'WARN',
    message: 'Activity failed',
    timestampNanos: 0n,
    meta: { error: failure, activityType: 'addWelcomeLabel', workflowId: `ghs_${'x'.repeat(30)}` },
  });
  forward({ level: 'TRACE', message: 'polled', timestampNanos: 0n });
  const [warned, traced] = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
  const error = warned.error as Record<string, string>;
  assert.equal(warned.level, 40);
  assert.equal(warned.component, 'temporal-sdk');
  assert.equal(warned.msg, 'Activity failed');
  assert.equal(warned.activityType, 'addWelcomeLabel');
  assert.equal(warned.workflowId, CENSOR);
  assert.equal(error.message, 'Activity task failed: connection refused');
  assert.match(error.stack, /^Error: Activity task failed\n\s+at /);
  assert.match(error.stack, /caused by: Error: connection refused/);
  assert.equal(traced.level, 10);
});
