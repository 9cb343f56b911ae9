// Builds signed deliveries the way GitHub (or a declarative provider) sends them.
import { randomUUID } from 'node:crypto';
import { GITHUB_SHA1, GITHUB_SHA256, sign } from '../../server/signature';

export interface Delivery {
  headers: Record<string, string>;
  body: Buffer;
}

export interface GithubDeliveryOptions {
  event: string;
  payload: unknown;
  secret?: string;
  id?: string;
  hookId?: string;
  form?: boolean;
  sha1Only?: boolean;
}

export function githubDelivery(o: GithubDeliveryOptions): Delivery {
  const json = JSON.stringify(o.payload);
  const body = Buffer.from(o.form ? new URLSearchParams({ payload: json }).toString() : json);
  const headers: Record<string, string> = {
    'content-type': o.form ? 'application/x-www-form-urlencoded' : 'application/json',
    'x-github-event': o.event,
    'x-github-delivery': o.id ?? randomUUID(),
    'user-agent': 'GitHub-Hookshot/test',
  };
  if (o.hookId !== undefined) headers['x-github-hook-id'] = o.hookId;
  const secret = o.secret ?? 'test-secret';
  if (o.sha1Only) headers['x-hub-signature'] = sign(GITHUB_SHA1, secret, body);
  else headers['x-hub-signature-256'] = sign(GITHUB_SHA256, secret, body);
  return { headers, body };
}

/**
 * The workflow ID of a delivery sent without a hook ID header, in the form the README documents
 * (`provider:hookId:deliveryId`, `-` for no hook ID): spelled out here, not imported, so the tests
 * hold the code to the documented form.
 */
export function deliveryKeyOf(provider: string, deliveryId: string): string {
  return `${provider}:-:${deliveryId}`;
}

export function githubKeyOf(d: Delivery): string {
  return deliveryKeyOf('github', d.headers['x-github-delivery']);
}

export interface Answer {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

export async function post(url: string, d: Delivery): Promise<Answer> {
  const res = await fetch(url, { method: 'POST', headers: d.headers, body: d.body });
  const text = await res.text();
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text) as Record<string, unknown>;
  } catch {
    body = { text };
  }
  return { status: res.status, body, headers: res.headers };
}
