// Redirect hops: which method and body travel on, and where the credentials may go.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { nextHop } from '../../activities/github/redirect';

describe('redirects', () => {
  const from = { url: new URL('https://api.github.com/repos/a/b'), method: 'POST', sendCredentials: true };
  test('307/308 keep the method and body, 301/302/303 turn into GET', () => {
    assert.equal(nextHop(from, 307, '/repositories/1')!.method, 'POST');
    assert.equal(nextHop(from, 308, '/repositories/1')!.keepBody, true);
    assert.equal(nextHop(from, 301, '/repositories/1')!.method, 'GET');
    assert.equal(nextHop(from, 303, '/x')!.keepBody, false);
    assert.equal(nextHop(from, 200, '/x'), undefined);
  });
  test('credentials stay with their host, and once dropped stay dropped', () => {
    const same = nextHop(from, 302, '/repositories/1')!;
    assert.equal(same.sendCredentials, true);
    const other = nextHop(from, 302, 'https://codeload.example.com/x')!;
    assert.equal(other.sendCredentials, false);
    assert.equal(
      nextHop({ ...other, method: 'GET' }, 302, 'https://api.github.com/back')!.sendCredentials,
      false,
    );
    assert.equal(nextHop(from, 302, 'http://api.github.com/downgrade')!.sendCredentials, false);
  });
  test('a body never travels to another origin: that 307/308 is not followed', () => {
    const posting = { ...from, carriesBody: true };
    assert.equal(nextHop(posting, 307, 'https://elsewhere.example.com/hub'), undefined);
    assert.equal(nextHop(posting, 308, 'http://api.github.com/hub'), undefined);
    assert.equal(nextHop(posting, 307, '/hub')!.keepBody, true);
    // A 303 drops the body anyway (a GET follows), so it may go elsewhere.
    assert.equal(nextHop(posting, 303, 'https://elsewhere.example.com/x')!.keepBody, false);
  });
});
