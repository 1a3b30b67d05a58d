import { editor, FakeSecrets, Selection, Position, state, Uri, vscode } from '../support/vscodeMock';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import { ChatRuns } from '../../src/chatRuns';
import { ChatTranscript } from '../../src/chatTranscript';
import { API_KEY_SECRET } from '../../src/config';
import { PALETTE, registerPalette } from '../../src/palette';
import { COMMANDS } from '../../src/protocol';
import { RESULT_SCHEME, VirtualDocuments } from '../../src/virtualDocuments';
import { FakeService } from '../support/fakeService';
import { compact } from '../support/webview';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));

let service: FakeService;
let secrets: FakeSecrets;
let refreshed: number;
let transcript: ChatTranscript;
let revealed: number;

function run(id: string) {
  return vscode.commands.executeCommand(id);
}

beforeEach(() => {
  state.reset();
  service = new FakeService();
  secrets = new FakeSecrets();
  refreshed = 0;
  revealed = 0;
  transcript = new ChatTranscript();
  const runs = new ChatRuns(transcript, () => (revealed += 1));
  registerPalette(service, { runs, results: new VirtualDocuments(RESULT_SCHEME) }, secrets as never, () => (refreshed += 1));
});

test('every palette command is registered, contributed, and forwards to a real server command', () => {
  const contributed = manifest.contributes.commands.map((command: { command: string }) => command.command);
  assert.deepEqual([...state.commands.keys()].sort(), PALETTE.map((command) => command.id).sort());
  assert.deepEqual(contributed.sort(), PALETTE.map((command) => command.id).sort());
  const serverIds = new Set(COMMANDS.map((command) => command.id));
  for (const command of PALETTE) {
    assert.ok(!serverIds.has(command.id as never), `${command.id} would clash with the client's own registration`);
    if (command.server) {
      assert.ok(serverIds.has(command.server), `${command.id} forwards to unknown ${command.server}`);
    }
  }
  const titles = Object.fromEntries(manifest.contributes.commands.map((c: { command: string; title: string }) => [c.command, c.title]));
  for (const command of PALETTE) {
    assert.equal(titles[command.id], command.title);
  }
  // the brief's list: chat, explain, cancel, new session, consolidate, show, search, forget, skills, status
  const forwarded = new Set(PALETTE.map((command) => command.server).filter(Boolean));
  for (const id of ['cairn.chat', 'cairn.runAction', 'cairn.cancel', 'cairn.newSession', 'cairn.memory.consolidate', 'cairn.memory.show', 'cairn.memory.search', 'cairn.memory.forget', 'cairn.skills.list', 'cairn.status']) {
    assert.ok(forwarded.has(id as never), `no palette command for ${id}`);
  }
});

function shown(): string[] {
  return compact(transcript.messages());
}

test('the context-menu entry says it is Cairn\u2019s', () => {
  const [entry] = manifest.contributes.menus['editor/context'];
  const command = manifest.contributes.commands.find((c: { command: string }) => c.command === entry.command);
  assert.match(command.title, /^Cairn: /);
  assert.equal(command.category, undefined); // the palette would show "Cairn: Cairn: ..."
});

test('Chat asks for a prompt and streams the answer into the chat view, with a cancellable notification', async () => {
  state.inputAnswers.push('why is the build red?');
  service.on('cairn.chat', (_args, emit) => {
    emit('status', 'reading ci.yml');
    emit('text', 'Because ');
    emit('text', 'the lockfile is stale.');
    emit('done');
    return {};
  });
  await run('cairn.palette.chat');
  const [args] = service.sent('cairn.chat') as { prompt: string; streamId: string; uri?: string }[];
  assert.equal(args.prompt, 'why is the build red?');
  assert.ok(args.streamId);
  assert.equal(args.uri, undefined); // no editor open
  assert.deepEqual(shown(), [
    'turn:Chat:why is the build red?',
    'step:reading ci.yml',
    'text:Because the lockfile is stale.',
    'end:done',
  ]);
  assert.equal(revealed, 1);
  assert.equal(state.progress.length, 1);
  assert.equal(state.progress[0].options.cancellable, true);
  assert.equal(state.progress[0].options.location, vscode.ProgressLocation.Notification);
  assert.deepEqual(state.progress[0].messages, ['reading ci.yml']);
  assert.equal(refreshed, 1);
});

test('Chat with no prompt sends nothing', async () => {
  state.inputAnswers.push(undefined);
  await run('cairn.palette.chat');
  assert.deepEqual(service.calls, []);
});

test('Explain runs the explain action on the selection, or on the cursor line', async () => {
  const uri = Uri.file('/ws/mod.py');
  state.activeTextEditor = editor(uri, ['def add(a, b):', '    return a + b'], new Selection(new Position(1, 4), new Position(1, 4)));
  service.on('cairn.runAction', (_args, emit) => {
    emit('text', 'It adds.');
    emit('done');
    return null;
  });
  await run('cairn.palette.explain');
  const [args] = service.sent('cairn.runAction') as Record<string, unknown>[];
  assert.equal(args.action, 'explain');
  assert.equal(args.uri, uri.toString());
  assert.deepEqual(args.range, { start: { line: 1, character: 0 }, end: { line: 1, character: 16 } });
  assert.deepEqual(shown(), ['turn:Explain:', 'text:It adds.', 'end:done']);
});

test('Explain without an editor warns instead of sending', async () => {
  await run('cairn.palette.explain');
  assert.deepEqual(service.calls, []);
  assert.equal(state.messages[0].level, 'warning');
});

test('Search shows matches and forgets the picked one after confirmation', async () => {
  state.inputAnswers.push('pytest');
  service.on('cairn.memory.search', () => ({ results: [{ id: 7, text: 'tests run with pytest -q' }, { id: 9, text: 'pytest-asyncio auto mode' }] }));
  state.quickPickAnswers.push((items) => items[1]);
  state.messageAnswers.push('Forget');
  await run('cairn.palette.searchMemory');
  assert.deepEqual(service.sent('cairn.memory.search'), [{ query: 'pytest' }]);
  assert.deepEqual(
    (state.quickPickItems[0] as { label: string }[]).map((item) => item.label),
    ['tests run with pytest -q', 'pytest-asyncio auto mode'],
  );
  assert.deepEqual(service.sent('cairn.memory.forget'), [{ id: 9 }]);
});

test('Forget validates the id and does nothing unless confirmed', async () => {
  state.inputAnswers.push('12');
  state.messageAnswers.push(undefined); // the user closed the confirmation
  await run('cairn.palette.forget');
  const validate = state.inputOptions[0].validateInput as (value: string) => string | undefined;
  assert.equal(validate('12'), undefined);
  assert.match(validate('0') ?? '', /positive whole number/);
  assert.match(validate('abc') ?? '', /positive whole number/);
  assert.deepEqual(service.sent('cairn.memory.forget'), []);
});

test('Show Memory, Status and Consolidate open their results in read-only cairn-result tabs', async () => {
  service.on('cairn.memory.show', () => ({ markdown: '- build with make' }));
  service.on('cairn.status', () => ({ version: '0.1.0' }));
  await run('cairn.palette.showMemory');
  await run('cairn.palette.status');
  await run('cairn.palette.consolidateMemory');
  assert.equal(state.openedDocuments[0].content, '# Project memory\n\n- build with make\n');
  assert.match(state.openedDocuments[1].content ?? '', /"version": "0.1.0"/);
  assert.deepEqual(service.sent('cairn.memory.consolidate'), [{}]);
  // a content provider's documents: never dirty, never sent to the server (no code actions)
  assert.deepEqual(state.openedDocuments.map((document) => document.uri?.scheme), [RESULT_SCHEME, RESULT_SCHEME, RESULT_SCHEME]);
  assert.equal(state.openedDocuments[0].uri?.path, '/Project memory.md');
});

test('showing a result again reuses its tab with the new text', async () => {
  let memory = '- first';
  service.on('cairn.memory.show', () => ({ markdown: memory }));
  await run('cairn.palette.showMemory');
  memory = '- second';
  await run('cairn.palette.showMemory');
  assert.equal(state.openedDocuments[0].uri?.toString(), state.openedDocuments[1].uri?.toString());
  assert.match(state.openedDocuments[1].content ?? '', /- second/);
});

test('List Skills opens the picked skill unless the server already showed it', async () => {
  service.on('cairn.skills.list', () => ({ skills: [{ name: 'python-tests', description: 'Write tests', path: '/skills/python-tests/SKILL.md' }], problems: [] }));
  service.on('cairn.skills.open', () => ({ name: 'python-tests', uri: 'file:///skills/python-tests/SKILL.md', shown: false }));
  state.quickPickAnswers.push((items) => items[0]);
  await run('cairn.palette.listSkills');
  assert.deepEqual(service.sent('cairn.skills.open'), [{ name: 'python-tests' }]);
  assert.equal(state.openedDocuments[0].uri?.fsPath, '/skills/python-tests/SKILL.md');
  assert.equal((state.quickPickItems[0] as { detail: string }[])[0].detail, 'Write tests');
  service.on('cairn.skills.open', () => ({ name: 'python-tests', uri: 'file:///skills/python-tests/SKILL.md', shown: true }));
  state.quickPickAnswers.push((items) => items[0]);
  await run('cairn.palette.listSkills');
  assert.equal(state.openedDocuments.length, 1); // shown by the server through window/showDocument
});

test('Cancel, New Session, Restart and Show Log', async () => {
  service.on('cairn.cancel', () => ({ cancelled: 2 }));
  await run('cairn.palette.cancel');
  await run('cairn.palette.newSession');
  await run('cairn.palette.restart');
  await run('cairn.palette.showLog');
  assert.deepEqual(service.sent('cairn.cancel'), [{}]);
  assert.deepEqual(service.sent('cairn.newSession'), [{}]);
  assert.equal(state.messages[0].text, 'Cairn: cancelled 2 running task(s).');
  assert.equal(service.restarts, 1);
  assert.equal(service.logShown, 1);
});

test('the API key goes to secret storage, never to settings', async () => {
  state.inputAnswers.push('  sk-test-123  ');
  await run('cairn.palette.setApiKey');
  assert.equal(secrets.values.get(API_KEY_SECRET), 'sk-test-123');
  assert.equal(state.inputOptions[0].password, true);
  await run('cairn.palette.clearApiKey');
  assert.equal(secrets.values.has(API_KEY_SECRET), false);
  const settingKeys = Object.keys(manifest.contributes.configuration.properties);
  assert.ok(!settingKeys.some((key) => /key|token|secret/i.test(key)), `a secret-looking setting: ${settingKeys}`);
});

test('a failing command shows one error message', async () => {
  service.on('cairn.memory.show', () => {
    throw new Error('Cairn is not running (see the Cairn output).');
  });
  await run('cairn.palette.showMemory');
  assert.deepEqual(state.messages.map((m) => [m.level, m.text]), [['error', 'Cairn: Cairn is not running (see the Cairn output).']]);
});
