// The GitHub App's own JWT (RS256), as universal-github-app-jwt makes it: issued 30 s in the past to
// absorb clock skew, and valid for less than the 10 minutes GitHub allows.
// https://docs.github.com/en/apps/creating-github-apps/authenticating-with-a-github-app/generating-a-json-web-token-jwt-for-a-github-app
import { createSign } from 'node:crypto';

const b64url = (v: string | Buffer) => Buffer.from(v).toString('base64url');

export function appJwt(appId: number, privateKey: string, now: number): string {
  const iat = Math.floor(now / 1000) - 30;
  const header = b64url(JSON.stringify({ alg: 'RS256', typ: 'JWT' }));
  const payload = b64url(JSON.stringify({ iat, exp: iat + 9 * 60, iss: String(appId) }));
  const signature = createSign('RSA-SHA256').update(`${header}.${payload}`).sign(privateKey);
  return `${header}.${payload}.${b64url(signature)}`;
}
