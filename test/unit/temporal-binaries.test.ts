// How hookflow finds the Temporal CLI: TEMPORAL_CLI_PATH, PATH, its cache, then `go install`; and
// the same for the Temporal server and its schema tool, which a cluster on PostgreSQL runs.
// Stand-in executables in temporary folders show which one is picked; the real CLI runs in every
// other test file.
import assert from 'node:assert/strict';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, test } from 'node:test';
import {
  findTemporalCli,
  findTemporalServer,
  TEMPORAL_CLI,
  TEMPORAL_SERVER,
  TEMPORAL_SERVER_VERSION,
  TEMPORAL_SQL_TOOL,
} from '../../lib/temporal/binaries';

function dir(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'hookflow-cli-'));
}

function executable(file: string, script = '#!/bin/sh\nexit 0\n'): string {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, script);
  chmodSync(file, 0o755);
  return file;
}

describe('finding the Temporal CLI', () => {
  test('TEMPORAL_CLI_PATH comes first, and must be executable', async () => {
    const d = dir();
    const cli = executable(path.join(d, 'my-temporal'));
    const onPath = executable(path.join(d, 'bin', 'temporal'));
    assert.equal(await findTemporalCli({ TEMPORAL_CLI_PATH: cli, PATH: path.dirname(onPath) }), cli);
    await assert.rejects(
      findTemporalCli({ TEMPORAL_CLI_PATH: path.join(d, 'missing') }),
      /is not an executable file/,
    );
  });

  test('then `temporal` on PATH, then the cache', async () => {
    const d = dir();
    const onPath = executable(path.join(d, 'bin', 'temporal'));
    const cached = executable(path.join(d, 'cache', 'bin', 'temporal'));
    assert.equal(
      await findTemporalCli({ PATH: path.dirname(onPath), HOOKFLOW_CACHE_DIR: path.join(d, 'cache') }),
      onPath,
    );
    assert.equal(
      await findTemporalCli({ PATH: path.join(d, 'empty'), HOOKFLOW_CACHE_DIR: path.join(d, 'cache') }),
      cached,
    );
  });

  test('the cache defaults to ~/.cache/hookflow (or XDG_CACHE_HOME), outside the checkout', async () => {
    const d = dir();
    const cached = executable(path.join(d, 'xdg', 'hookflow', 'bin', 'temporal'));
    assert.equal(await findTemporalCli({ PATH: '', XDG_CACHE_HOME: path.join(d, 'xdg') }), cached);
    const home = executable(path.join(d, 'home', '.cache', 'hookflow', 'bin', 'temporal'));
    assert.equal(await findTemporalCli({ PATH: '', HOME: path.join(d, 'home') }), home);
  });

  test('else it is built with go install into the cache', async () => {
    const d = dir();
    const log = path.join(d, 'go-args');
    // A stand-in `go` that records its arguments and "builds" into $GOBIN.
    const go = executable(
      path.join(d, 'gobin', 'go'),
      `#!/bin/sh\necho "$@" > ${log}\nprintf '#!/bin/sh\\n' > "$GOBIN/temporal"\n/bin/chmod +x "$GOBIN/temporal"\n`,
    );
    const messages: string[] = [];
    const found = await findTemporalCli(
      { PATH: path.dirname(go), HOOKFLOW_CACHE_DIR: path.join(d, 'cache') },
      (m) => messages.push(m),
    );
    assert.equal(found, path.join(d, 'cache', 'bin', 'temporal'));
    assert.ok(existsSync(found));
    assert.equal(readFileSync(log, 'utf8').trim(), `install ${TEMPORAL_CLI.module}`);
    assert.match(messages.join(), /go install/);
  });

  test('a failed build and a machine without Go get clear errors', async () => {
    const d = dir();
    const failingGo = executable(path.join(d, 'gobin', 'go'), '#!/bin/sh\nexit 3\n');
    await assert.rejects(
      findTemporalCli({ PATH: path.dirname(failingGo), HOOKFLOW_CACHE_DIR: path.join(d, 'c1') }),
      /exited with 3/,
    );
    await assert.rejects(
      findTemporalCli({ PATH: path.join(d, 'empty'), HOOKFLOW_CACHE_DIR: path.join(d, 'c2') }),
      /Temporal CLI was not found.*TEMPORAL_CLI_PATH.*install Go/s,
    );
  });
});

describe('finding the Temporal server and its schema tool', () => {
  test('their variables first, then their names on PATH, then the versioned cache', async () => {
    const d = dir();
    const server = executable(path.join(d, 'mine', 'server'));
    const sqlTool = executable(path.join(d, 'mine', 'sql'));
    assert.deepEqual(
      await findTemporalServer({ TEMPORAL_SERVER_PATH: server, TEMPORAL_SQL_TOOL_PATH: sqlTool, PATH: '' }),
      { server, sqlTool },
    );
    await assert.rejects(
      findTemporalServer({ TEMPORAL_SERVER_PATH: path.join(d, 'missing') }),
      /TEMPORAL_SERVER_PATH=.* is not an executable file/,
    );
    const onPath = {
      server: executable(path.join(d, 'bin', 'temporal-server')),
      sqlTool: executable(path.join(d, 'bin', 'temporal-sql-tool')),
    };
    assert.deepEqual(await findTemporalServer({ PATH: path.join(d, 'bin') }), onPath);
    const cacheBin = path.join(d, 'cache', 'bin');
    const cached = {
      server: executable(path.join(cacheBin, `temporal-server-${TEMPORAL_SERVER_VERSION}`)),
      sqlTool: executable(path.join(cacheBin, `temporal-sql-tool-${TEMPORAL_SERVER_VERSION}`)),
    };
    // An older version's binaries in the cache are not taken for this one.
    executable(path.join(cacheBin, 'temporal-server-1.0.0'));
    assert.deepEqual(
      await findTemporalServer({ PATH: path.join(d, 'empty'), HOOKFLOW_CACHE_DIR: path.join(d, 'cache') }),
      cached,
    );
  });

  test('else both are built with go install, one after the other, into the cache', async () => {
    const d = dir();
    const log = path.join(d, 'go-args');
    // A stand-in `go` that records its arguments and "builds" the module's last element into $GOBIN.
    const go = executable(
      path.join(d, 'gobin', 'go'),
      `#!/bin/sh\necho "$@" >> ${log}\nm=\${2%@*}\nname=\${m##*/}\nprintf '#!/bin/sh\\n' > "$GOBIN/$name"\n/bin/chmod +x "$GOBIN/$name"\n`,
    );
    const found = await findTemporalServer({
      PATH: path.dirname(go),
      HOOKFLOW_CACHE_DIR: path.join(d, 'cache'),
    });
    assert.deepEqual(found, {
      server: path.join(d, 'cache', 'bin', TEMPORAL_SERVER.cached),
      sqlTool: path.join(d, 'cache', 'bin', TEMPORAL_SQL_TOOL.cached),
    });
    assert.ok(existsSync(found.server) && existsSync(found.sqlTool));
    assert.deepEqual(readFileSync(log, 'utf8').trim().split('\n'), [
      `install go.temporal.io/server/cmd/server@v${TEMPORAL_SERVER_VERSION}`,
      `install go.temporal.io/server/cmd/tools/sql@v${TEMPORAL_SERVER_VERSION}`,
    ]);
  });

  test('a machine without Go gets a clear error', async () => {
    const d = dir();
    await assert.rejects(
      findTemporalServer({ PATH: path.join(d, 'empty'), HOOKFLOW_CACHE_DIR: path.join(d, 'c') }),
      /Temporal server was not found.*temporal-server.*TEMPORAL_SERVER_PATH.*install Go/s,
    );
  });
});
