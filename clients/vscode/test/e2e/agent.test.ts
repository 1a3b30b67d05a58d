/**
 * The agent through the real server and the extension's own stream handling: a chat streamed
 * with work-done progress, a Fix code action whose edit arrives through workspace/applyEdit,
 * cancellation from the client, and the memory and skills results the views render.
 * One server for the file (the model library is imported once); the scripted model answers
 * by prompt, so the tests do not depend on each other's order.
 */
import { strict as assert } from 'node:assert';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { listEntries, toMarkdown } from '../../src/results';
import { runStreamed } from '../../src/streams';
import { recordingSink } from '../support/recorder';
import { FakeToken } from '../support/fakeService';
import { scriptedModel, TestClient } from '../support/lspClient';

const SOURCE = 'def add(a, b):\n    return a + c\n';
const script = scriptedModel({
  'Say hello': [{ chunks: ['Hello', ', ', 'world.'] }],
  "undefined name 'c'": [
    { tool_calls: [{ name: 'propose_edit', arguments: { path: 'mod.py', old_text: 'a + c', new_text: 'a + b', description: 'use b' } }] },
    { chunks: ['Replaced c ', 'with b.'] },
  ],
  'Go on forever': [{ text: 'This will never finish', stall: true }],
  'Remember:': ['Noted: the tests run with pytest -q.'],
});
let client: TestClient;

before(async () => {
  client = await TestClient.start({ trusted: true, env: script.env });
});
after(() => client.kill());


test('a chat streams its answer chunk by chunk, with work-done progress', async () => {
  const tokensBefore = client.createdTokens.length;
  const { events, sink } = recordingSink();
  const outcome = await runStreamed(client.send, client.router, 'cairn.chat', { prompt: 'Say hello' }, sink);
  assert.deepEqual(events, ['text:Hello', 'text:, ', 'text:world.', 'end']);
  assert.equal(outcome.done, true);
  assert.equal(outcome.text, 'Hello, world.');
  const result = outcome.result as { status: string; streamId: string };
  assert.equal(result.status, 'done');
  assert.equal(result.streamId, outcome.streamId);
  // VS Code sends no workDoneToken with executeCommand: the server created one for the run
  assert.equal(client.createdTokens.length, tokensBefore + 1);
  const token = client.createdTokens.at(-1);
  const progress = client.progress.filter((event) => event.token === token);
  assert.deepEqual([progress[0].kind, progress.at(-1)!.kind, progress.at(-1)!.message], ['begin', 'end', 'Done']);
  const request = script.requests().find((r) => JSON.stringify(r.messages.at(-1)).includes('Say hello'));
  assert.deepEqual(request.messages.at(-1), { role: 'user', content: 'Say hello' });
});

test('a Fix code action applies its edit through workspace/applyEdit and streams its summary', async () => {
  writeFileSync(join(client.root, 'mod.py'), SOURCE);
  const uri = await client.open('mod.py', SOURCE);
  const diagnostic = { range: { start: { line: 1, character: 15 }, end: { line: 1, character: 16 } }, message: "undefined name 'c'", severity: 1, source: 'pyflakes' };
  const actions: any[] = await client.connection.sendRequest('textDocument/codeAction', {
    textDocument: { uri },
    range: diagnostic.range,
    context: { diagnostics: [diagnostic], only: ['quickfix'] },
  });
  assert.equal(actions.length, 1);
  // What the extension's executeCommand middleware does with the picked action's command:
  const { events, sink } = recordingSink();
  const outcome = await runStreamed(client.send, client.router, 'cairn.runAction', actions[0].command.arguments[0], sink);
  assert.equal((outcome.result as { status: string }).status, 'done');
  assert.deepEqual(events, ['status:propose_edit mod.py', 'text:Replaced c ', 'text:with b.', 'end']);
  assert.equal(client.documents.get(uri)!.getText(), 'def add(a, b):\n    return a + b\n');
  const edit = client.appliedEdits.at(-1)!.edit;
  const change = edit.documentChanges![0] as { textDocument: { version: number }; edits: { annotationId?: string }[] };
  assert.equal(change.textDocument.version, 1); // versioned: VS Code refuses it if the user typed meanwhile
  assert.equal(edit.changeAnnotations![change.edits[0].annotationId!].needsConfirmation, true); // VS Code previews it
  assert.equal(readFileSync(join(client.root, 'mod.py'), 'utf8'), SOURCE, 'the editor owns saving, not the server');
});

test('cancelling from the client stops a running answer', async () => {
  const token = new FakeToken();
  const { events, sink } = recordingSink();
  const running = runStreamed(client.send, client.router, 'cairn.chat', { prompt: 'Go on forever' }, sink, token);
  const deadline = Date.now() + 20000;
  while (!events.some((event) => event.startsWith('text:')) && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  const cancelledAt = Date.now();
  token.cancel();
  const outcome = await running;
  assert.ok(Date.now() - cancelledAt < 3000, `cancel took ${Date.now() - cancelledAt} ms`);
  assert.equal((outcome.result as { status: string }).status, 'cancelled');
  assert.deepEqual(outcome.errors, ['Cancelled.']);
  assert.equal(outcome.done, true);
  assert.equal(events.at(-1), 'end');
});

test('memory and skills results render in the extension\u2019s views', async () => {
  await runStreamed(client.send, client.router, 'cairn.chat', { prompt: 'Remember: run the tests with pytest -q' }, recordingSink().sink);
  const shown = await client.execute('cairn.memory.show', {});
  assert.equal(typeof shown.markdown, 'string');
  assert.ok(toMarkdown('Project memory', shown).startsWith('# Project memory\n\n' + shown.markdown));
  const found = await client.execute('cairn.memory.search', { query: 'pytest' });
  assert.ok(Array.isArray(found.results));
  for (const entry of listEntries(found)) {
    assert.ok(typeof entry.record.id === 'number' && entry.label.length > 0, JSON.stringify(entry));
  }
  const skills = listEntries(await client.execute('cairn.skills.list', {}));
  assert.ok(skills.length > 0, 'no bundled skills listed');
  assert.ok(skills.every((entry) => typeof entry.record.name === 'string' && entry.label === entry.record.name));
  const opened = await client.execute('cairn.skills.open', { name: skills[0].record.name as string });
  assert.equal(opened.shown, true); // shown through window/showDocument, which VS Code supports
  const status = await client.execute('cairn.status', {});
  assert.equal(status.memoryState, 'ready');
});
