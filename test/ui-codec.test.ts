// The Temporal UI shows decoded payloads: `npm start` runs the local UI with its codec endpoint, and
// headless Chromium (Debian's package, driven by playwright-core) opens a delivery's workflow page.
// With the endpoint's token, the delivery's repository (which, with HOOKFLOW_SEARCH_REPOSITORY=off,
// is only in encrypted payloads) is on the page; with a wrong token, it is not.
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Client, Connection } from '@temporalio/client';
import { chromium, type Browser } from 'playwright-core';
import { githubDelivery, post } from './helpers/deliveries';
import { waitFor } from './helpers/env';
import { npmStart, remoteCodec, startEnv, stop, type Started } from './helpers/npm-start';

const CHROMIUM = '/usr/bin/chromium';
const REPO = 'octo/ui-only-in-payloads';

let started: Started;
let browser: Browser;
let workflowId: string;
before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} is missing: apt-get install chromium (.ci/run installs it)`);
  started = await npmStart({ ...(await startEnv()).env, HOOKFLOW_SEARCH_REPOSITORY: 'off' });
  const { temporalPort } = started;
  const answer = await post(
    started.webhookUrl,
    githubDelivery({
      event: 'issues',
      payload: { action: 'opened', issue: { number: 5 }, repository: { full_name: REPO } },
    }),
  );
  assert.equal(answer.status, 202);
  workflowId = String(answer.body.workflowId);
  const connection = await Connection.connect({ address: `127.0.0.1:${temporalPort}` });
  try {
    const client = new Client({
      connection,
      dataConverter: { payloadCodecs: [remoteCodec(started.codecUrl)] },
    });
    await waitFor('the workflow to start', () =>
      client.workflow
        .getHandle(workflowId)
        .describe()
        .then(
          () => true,
          () => false,
        ),
    );
    assert.match(String(await client.workflow.getHandle(workflowId).result()), new RegExp(REPO));
  } finally {
    await connection.close();
  }
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    // As root in a container there is no sandbox to drop into; the machine has no outside network.
    args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update'],
  });
});
after(async () => {
  await browser?.close();
  if (started) await stop(started.child);
});

/**
 * The workflow's page, with the codec endpoint's URL rewritten by `rewrite`, once `shown` holds of its
 * text (the UI decodes an event's payloads when it renders the event); the text and the codec calls.
 */
async function workflowPage(
  shown: (text: string, codecCalls: number[]) => boolean,
  rewrite: (url: string) => string = (url) => url,
): Promise<{ text: string; codecCalls: number[] }> {
  const page = await browser.newPage();
  try {
    const codecCalls: number[] = [];
    await page.route(`${started.codecUrl}/**`, async (route) => {
      try {
        const response = await route.fetch({ url: rewrite(route.request().url()) });
        if (route.request().method() === 'POST') codecCalls.push(response.status());
        await route.fulfill({ response });
      } catch {
        // the page closed with this call in flight (the UI keeps decoding what it renders)
      }
    });
    await page.goto(`${started.uiUrl}/namespaces/default/workflows/${encodeURIComponent(workflowId)}`);
    let text = '';
    await waitFor(
      'the workflow page to show its payloads',
      async () => shown((text = await page.innerText('body')), codecCalls),
      60_000,
    );
    return { text, codecCalls };
  } finally {
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.close();
  }
}

/** How the UI shows a payload it could not decode: its metadata, `binary/encrypted` in base64. */
const CIPHERTEXT = Buffer.from('binary/encrypted').toString('base64');

test("the delivery's page, decoded through the codec endpoint; with a wrong token, ciphertext", async () => {
  // Every payload the page shows decoded (the UI decodes each event as it renders it): none left as
  // ciphertext, and the repository among them.
  const decoded = await workflowPage(
    (text) => text.includes(REPO) && !text.includes(CIPHERTEXT) && /Workflow Execution Completed/.test(text),
  );
  assert.ok(
    decoded.codecCalls.every((status) => status === 200),
    decoded.codecCalls.join(' '),
  );

  const refused = await workflowPage(
    (text, calls) =>
      calls.length > 0 && text.includes(CIPHERTEXT) && /Workflow Execution Completed/.test(text),
    (url) => url.replace(/\/[^/]+\/(decode|encode)$/, '/wrong-token-wrong-token-wrong-token/$1'),
  );
  assert.ok(
    refused.codecCalls.every((status) => status === 401),
    refused.codecCalls.join(' '),
  );
  assert.equal(refused.text.includes(REPO), false, 'the repository in the clear with a wrong token');
});
