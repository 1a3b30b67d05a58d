/**
 * The real Cairn server driven by a node LSP client that declares VS Code's capabilities:
 * settings and trust as the extension sends them, code actions, the status report, and a
 * clean stop and restart.
 */
import { strict as assert } from 'node:assert';
import { afterEach, test } from 'node:test';
import { COMMANDS } from '../../src/protocol';
import { TestClient } from '../support/lspClient';

const started: TestClient[] = [];
async function start(...args: Parameters<typeof TestClient.start>) {
  const client = await TestClient.start(...args);
  started.push(client);
  return client;
}
afterEach(() => started.splice(0).forEach((client) => client.kill()));

const SETTINGS = {
  model: { globalValue: 'openai/user-model', workspaceValue: 'openai/repo-model' },
  apiBase: { workspaceValue: 'http://evil.invalid/v1' },
  logLevel: { workspaceValue: 'debug' },
};

async function statusWhen(client: TestClient, ready: (status: any) => boolean) {
  let status: any;
  for (let attempt = 0; attempt < 100; attempt++) {
    status = await client.execute('cairn.status', {});
    if (ready(status)) {
      return status;
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return status;
}

test('an untrusted workspace runs restricted: user-level model, no workspace provider URL', async () => {
  const client = await start({ trusted: false, settings: SETTINGS, apiKey: 'sk-test-from-secret-storage' });
  const status = await statusWhen(client, (s) => s.settings.logLevel === 'debug'); // pulled via workspace/configuration
  assert.equal(status.trusted, false);
  assert.equal(status.model, 'openai/user-model');
  assert.equal(status.settings.apiBase, null);
  assert.equal(status.settings.apiKey, 'set');
  assert.equal(status.settings.logLevel, 'debug');
  assert.equal(status.workspace, client.root);
  assert.deepEqual(status.problems, []); // nothing sent that the server had to refuse
  assert.ok(client.configurationRequests.length >= 1, 'the server never asked for the cairn section');
  assert.ok(!JSON.stringify(status).includes('sk-test-from-secret-storage'), 'the key leaked into the status');
});

test('a trusted workspace gets its own settings', async () => {
  const client = await start({ trusted: true, settings: SETTINGS });
  const status = await statusWhen(client, (s) => s.settings.apiBase !== null);
  assert.equal(status.trusted, true);
  assert.equal(status.model, 'openai/repo-model');
  assert.equal(status.settings.apiBase, 'http://evil.invalid/v1');
  assert.deepEqual(status.problems, []);
});

test('code actions come with their cairn.runAction command up front', async () => {
  const client = await start({ trusted: true });
  const uri = await client.open('mod.py', 'def add(a, b):\n    return a + c\n');
  const diagnostic = {
    range: { start: { line: 1, character: 15 }, end: { line: 1, character: 16 } },
    message: "undefined name 'c'",
    severity: 1,
    source: 'pyflakes',
  };
  const actions: any[] = await client.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line: 0, character: 0 }, end: { line: 1, character: 16 } },
    context: { diagnostics: [diagnostic], triggerKind: 1 },
  });
  const byKind = Object.fromEntries(actions.map((action) => [action.kind, action]));
  assert.deepEqual(Object.keys(byKind).sort(), [
    'quickfix', 'refactor.cairn.docstring', 'refactor.cairn.explain', 'refactor.cairn.rewrite', 'source.cairn.tests',
  ]);
  for (const action of actions) {
    assert.equal(action.command.command, 'cairn.runAction', action.title);
    assert.equal(action.command.arguments[0].uri, uri);
  }
  assert.equal(byKind.quickfix.title, 'Cairn: Fix \u201cundefined name \'c\'\u201d');
  assert.deepEqual(byKind.quickfix.command.arguments[0].diagnostics[0].message, "undefined name 'c'");
  assert.equal(byKind['refactor.cairn.explain'].command.arguments[0].action, 'explain');

  const onlyRefactor: any[] = await client.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } },
    context: { diagnostics: [], only: ['refactor'] },
  });
  assert.deepEqual(onlyRefactor.map((action) => action.kind).sort(), ['refactor.cairn.docstring', 'refactor.cairn.explain']);
});

test('every command the extension forwards to is advertised by the server', async () => {
  // The palette test ties every palette command to an id in protocol.ts; here the server must know them all.
  const client = await start({ trusted: true });
  for (const command of COMMANDS) {
    assert.ok(client.advertisedCommands.includes(command.id), `the server does not advertise ${command.id}`);
  }
});

test('stop is clean (exit code 0, quick) and a restarted server works on the same workspace', async () => {
  const first = await start({ trusted: true });
  await first.execute('cairn.status', {});
  const stopped = await first.stop();
  assert.equal(stopped.code, 0);
  assert.ok(stopped.ms < 5000, `the server took ${stopped.ms} ms to exit`);
  const second = await start({ trusted: true, root: first.root });
  const status = await second.execute('cairn.status', {});
  assert.equal(status.workspace, first.root);
  const again = await second.stop();
  assert.equal(again.code, 0);
});

test('bad arguments are refused with a clear error, and the server keeps serving', async () => {
  const client = await start({ trusted: true });
  await assert.rejects(
    client.connection.sendRequest('workspace/executeCommand', { command: 'cairn.status', arguments: [{ typo: 1 }] }),
    (error: any) => error.code === -32602,
  );
  assert.equal(typeof (await client.execute('cairn.status', {})).version, 'string');
});
