// Names that people and other tools see, so renaming one is a visible change, not a refactor: the
// request-ID header the provider receives (in GitHub's delivery logs and a proxy's), the mark that
// replaces a secret in logs and spans, and the token route in span names and metrics.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { TOKEN_ROUTE } from '../../activities/github/app-token-issuer';
import { REQUEST_ID_HEADER } from '../../activities/github/transport';
import { CENSOR } from '../../lib/telemetry/redaction';

test('the names outsiders see stay as released', () => {
  assert.equal(REQUEST_ID_HEADER, 'x-hookflow-request-id');
  assert.equal(CENSOR, '[redacted]');
  assert.equal(TOKEN_ROUTE, '/app/installations/{installation_id}/access_tokens');
});
