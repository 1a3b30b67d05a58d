import { editor, Location, Position, Range, Selection, state, Uri } from '../support/vscodeMock';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import type * as vscodeTypes from 'vscode';
import { chatHandler, PARTICIPANT_ID, registerChatParticipant, SLASH_COMMANDS } from '../../src/chatParticipant';
import { FakeService, FakeToken } from '../support/fakeService';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));

class FakeResponse {
  parts: string[] = [];
  markdown(value: string) {
    this.parts.push(`md:${value}`);
  }
  progress(value: string) {
    this.parts.push(`progress:${value}`);
  }
}

function request(prompt: string, command?: string, references: { id: string; value: unknown }[] = []) {
  return { prompt, command, references } as unknown as vscodeTypes.ChatRequest;
}

async function ask(service: FakeService, req: vscodeTypes.ChatRequest, token = new FakeToken()) {
  const response = new FakeResponse();
  const result = await chatHandler(service)(req, { history: [] }, response as never, token as never);
  return { response, result: result as vscodeTypes.ChatResult };
}

let service: FakeService;
beforeEach(() => {
  state.reset();
  service = new FakeService();
});

test('the participant and its slash commands are contributed as registered', () => {
  const [participant] = manifest.contributes.chatParticipants;
  assert.equal(participant.id, PARTICIPANT_ID);
  assert.equal(participant.name, 'cairn');
  assert.deepEqual(participant.commands.map((c: { name: string }) => c.name), [...SLASH_COMMANDS]);
  registerChatParticipant(service, Uri.file('/ext') as never);
  assert.equal(state.participants[0].id, PARTICIPANT_ID);
  assert.equal((state.participants[0].iconPath as Uri).path, '/ext/media/cairn.png');
});

test('without the chat API (older VS Code) nothing is registered', () => {
  state.chatAvailable = false;
  assert.equal(registerChatParticipant(service, Uri.file('/ext') as never), undefined);
});

test('a question streams the answer into the response in order', async () => {
  service.on('cairn.chat', (_args, emit) => {
    emit('status', 'Searching memory');
    emit('text', 'Use ');
    emit('text', '`make test`.');
    emit('done');
    return {};
  });
  const { response, result } = await ask(service, request('how do I run the tests?'));
  assert.deepEqual(response.parts, ['progress:Searching memory', 'md:Use ', 'md:`make test`.']);
  const [args] = service.sent('cairn.chat') as Record<string, unknown>[];
  assert.equal(args.prompt, 'how do I run the tests?');
  assert.equal(result.metadata?.streamId, args.streamId);
  assert.equal(result.errorDetails, undefined);
});

test('an attached location is sent as the chat context, else the active editor', async () => {
  const uri = Uri.file('/ws/a.py');
  const location = new Location(uri, new Range(new Position(2, 0), new Position(4, 3)));
  service.on('cairn.chat', (_args, emit) => emit('done'));
  await ask(service, request('what does this do', undefined, [{ id: 'vscode.file', value: location }]));
  state.activeTextEditor = editor(Uri.file('/ws/b.py'), ['x = 1'], new Selection(new Position(0, 0), new Position(0, 5)));
  await ask(service, request('and this'));
  const [first, second] = service.sent('cairn.chat') as Record<string, unknown>[];
  assert.equal(first.uri, uri.toString());
  assert.deepEqual(first.range, { start: { line: 2, character: 0 }, end: { line: 4, character: 3 } });
  assert.equal(second.uri, Uri.file('/ws/b.py').toString());
});

test('stopping the request cancels that stream on the server', async () => {
  const token = new FakeToken();
  let release!: () => void;
  service.on('cairn.chat', async (_args, emit) => {
    emit('text', 'Working on');
    await new Promise<void>((resolve) => (release = resolve));
    emit('error', 'Cancelled by the user');
    emit('done');
    return null;
  });
  service.on('cairn.cancel', () => release());
  const pending = ask(service, request('refactor everything'), token);
  await new Promise((resolve) => setImmediate(resolve));
  token.cancel();
  const { response, result } = await pending;
  const streamId = (service.sent('cairn.chat')[0] as { streamId: string }).streamId;
  assert.deepEqual(service.sent('cairn.cancel'), [{ streamId }]);
  assert.deepEqual(response.parts, ['md:Working on', 'md:\n\n**Cairn:** Cancelled by the user\n']);
  assert.equal(result.errorDetails?.message, 'Cancelled by the user');
});

test('/explain explains the selection with the prompt as instructions', async () => {
  state.activeTextEditor = editor(Uri.file('/ws/m.py'), ['a', 'b'], new Selection(new Position(0, 0), new Position(1, 1)));
  service.on('cairn.runAction', (_args, emit) => {
    emit('text', 'Two lines.');
    emit('done');
    return null;
  });
  const { response } = await ask(service, request('briefly', 'explain'));
  const [args] = service.sent('cairn.runAction') as Record<string, unknown>[];
  assert.equal(args.action, 'explain');
  assert.equal(args.instructions, 'briefly');
  assert.deepEqual(response.parts, ['md:Two lines.']);
});

test('slash commands reach their server commands', async () => {
  service.on('cairn.memory.show', () => '- deploy with fly');
  service.on('cairn.memory.search', () => [{ id: 1, text: 'fly.toml is the config' }]);
  const shown = await ask(service, request('', 'memory'));
  const searched = await ask(service, request(' fly ', 'search'));
  await ask(service, request('', 'new'));
  await ask(service, request('', 'skills'));
  await ask(service, request('', 'status'));
  await ask(service, request('', 'consolidate'));
  await ask(service, request('', 'cancel'));
  assert.deepEqual(shown.response.parts, ['md:# Project memory\n\n- deploy with fly\n']);
  assert.match(searched.response.parts[0], /fly.toml is the config _\(#1\)_/);
  assert.deepEqual(service.calls.map((call) => call.command), [
    'cairn.memory.show', 'cairn.memory.search', 'cairn.newSession', 'cairn.skills.list', 'cairn.status', 'cairn.memory.consolidate', 'cairn.cancel',
  ]);
  assert.deepEqual(service.sent('cairn.memory.search'), [{ query: 'fly' }]);
});

test('empty prompts and failures are answered, not thrown', async () => {
  const empty = await ask(service, request('   '));
  assert.match(empty.response.parts[0], /Ask Cairn something/);
  assert.deepEqual(service.calls, []);
  service.on('cairn.chat', () => {
    throw new Error('Cairn is not running (see the Cairn output).');
  });
  const failed = await ask(service, request('hi'));
  assert.equal(failed.result.errorDetails?.message, 'Cairn is not running (see the Cairn output).');
});
