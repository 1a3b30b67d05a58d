import { state, Uri, vscode } from '../support/vscodeMock';
import { strict as assert } from 'node:assert';
import { beforeEach, test } from 'node:test';
import { ChatActions } from '../../src/chatActions';
import { ChatRuns, CHAT_VIEW_ID } from '../../src/chatRuns';
import { ChatTranscript } from '../../src/chatTranscript';
import { ChatViewProvider } from '../../src/chatView';
import { EditReview } from '../../src/editReview';
import { PROPOSAL_SCHEME, RESULT_SCHEME, VirtualDocuments } from '../../src/virtualDocuments';
import { FakeService } from '../support/fakeService';
import { compact, FakeWebviewView, settle } from '../support/webview';

let service: FakeService;
let transcript: ChatTranscript;
let edits: EditReview;
let provider: ChatViewProvider;
let view: FakeWebviewView;

beforeEach(() => {
  state.reset();
  service = new FakeService();
  transcript = new ChatTranscript();
  const runs = new ChatRuns(transcript, () => provider.reveal());
  edits = new EditReview({ transcript, proposals: new VirtualDocuments(PROPOSAL_SCHEME), reveal: () => provider.reveal(), previewFirst: () => false });
  const actions = new ChatActions({ service, transcript, runs, edits, results: new VirtualDocuments(RESULT_SCHEME) });
  provider = new ChatViewProvider(Uri.file('/ext') as never, transcript, actions);
  provider.register();
  view = new FakeWebviewView();
  provider.resolveWebviewView(view as never);
  view.fromPage({ type: 'ready' });
});

/** What the view got since the page loaded, without server-state lines. */
function posted(): string[] {
  return compact(view.posted).filter((line) => !line.startsWith('server:'));
}

test('the page runs one script by nonce, loads only its own files, and is registered under its id', () => {
  assert.ok(state.webviewProviders.has(CHAT_VIEW_ID));
  const html = view.webview.html;
  const csp = /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(html)![1];
  const nonce = /script-src 'nonce-([A-Za-z0-9]+)'/.exec(csp)![1];
  assert.ok(nonce.length >= 16);
  assert.match(csp, /^default-src 'none'; /);
  assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval|\*/);
  assert.equal((html.match(/<script/g) ?? []).length, 1);
  assert.match(html, new RegExp(`<script nonce="${nonce}" src="https://webview.test/webview/ext/dist/webview.js"></script>`));
  assert.match(html, /<link rel="stylesheet" href="https:\/\/webview.test\/webview\/ext\/dist\/webview.css">/);
  assert.equal(view.webview.options.enableScripts, true);
  assert.equal(view.webview.options.enableCommandUris, false);
  assert.deepEqual((view.webview.options.localResourceRoots as Uri[]).map((uri) => uri.path), ['/ext/dist']);
  assert.deepEqual(compact(view.posted), ['server:running']);
});

test('a question streams its answer into the view, with the view\u2019s progress bar', async () => {
  service.on('cairn.chat', (_args, emit) => {
    emit('status', 'read_file mod.py');
    emit('text', 'It adds ');
    emit('text', '**two** numbers.');
    emit('done');
    return { status: 'done' };
  });
  view.fromPage({ type: 'ask', prompt: 'What does add do?' });
  await settle();
  const [args] = service.sent('cairn.chat') as { prompt: string; streamId: string }[];
  assert.equal(args.prompt, 'What does add do?');
  assert.deepEqual(posted(), ['turn:Cairn:What does add do?', 'step:read_file mod.py', 'text:It adds ', 'text:**two** numbers.', 'end:done']);
  assert.equal(view.posted.find((message) => message.type === 'turn' && message.turnId === args.streamId)?.type, 'turn');
  assert.deepEqual(state.progress.map((p) => p.options.location), [{ viewId: CHAT_VIEW_ID }]);
});

test('Stop on a running turn cancels that run on the server', async () => {
  let emitLater!: (kind: any, text?: string) => void;
  service.on('cairn.chat', (args, emit) => {
    emitLater = emit;
    emit('text', 'partial');
    return { status: 'started', runId: args.streamId, streamId: args.streamId, sessionId: 's' };
  });
  service.on('cairn.cancel', () => {
    setImmediate(() => {
      emitLater('error', 'Cancelled.');
      emitLater('done');
    });
    return { cancelled: 1 };
  });
  view.fromPage({ type: 'ask', prompt: 'Go on forever' });
  await settle();
  const [{ streamId }] = service.sent('cairn.chat') as { streamId: string }[];
  view.fromPage({ type: 'cancel', turnId: streamId });
  await settle(10);
  assert.deepEqual(service.sent('cairn.cancel'), [{ streamId }]);
  assert.deepEqual(posted().slice(-3), ['text:partial', 'error:Cancelled.', 'end:cancelled']);
  view.fromPage({ type: 'cancel', turnId: 'not-running' }); // e.g. a run this window did not start
  await settle();
  assert.deepEqual(service.sent('cairn.cancel').at(-1), { streamId: 'not-running' });
});

test('new session, memory, consolidation and skills are shown in the view', async () => {
  service.on('cairn.memory.show', () => ({ markdown: '- build with `make`' }));
  service.on('cairn.memory.consolidate', () => ({ text: 'Merged 2 facts.' }));
  service.on('cairn.skills.list', () => ({ skills: [{ name: 'python-tests', description: 'Write tests', path: '/skills/python-tests/SKILL.md' }, { description: 'nameless' }] }));
  service.on('cairn.skills.open', () => ({ name: 'python-tests', shown: false }));
  for (const type of ['newSession', 'showMemory', 'consolidate', 'listSkills']) {
    view.fromPage({ type });
    await settle();
  }
  view.fromPage({ type: 'openSkill', name: 'python-tests' });
  await settle();
  assert.deepEqual(service.calls.map((call) => call.command), [
    'cairn.newSession',
    'cairn.memory.show',
    'cairn.memory.consolidate',
    'cairn.skills.list',
    'cairn.skills.open',
  ]);
  assert.deepEqual(posted(), ['session', 'result:Project memory', 'notice:Consolidating memory\u2026', 'result:Memory consolidation', 'skills']);
  const memory = view.posted.find((message) => message.type === 'result');
  assert.deepEqual(memory, { type: 'result', title: 'Project memory', markdown: '- build with `make`\n' });
  assert.deepEqual(view.posted.find((message) => message.type === 'skills'), { type: 'skills', skills: [{ name: 'python-tests', description: 'Write tests' }] });
  assert.equal(state.openedDocuments[0].uri?.fsPath, '/skills/python-tests/SKILL.md'); // the path from the list
});

test('accept and reject from the view decide the waiting edit', async () => {
  state.documentTexts.set('file:///ws/mod.py', 'x = c\n');
  const edit = { edit: { changes: { 'file:///ws/mod.py': [{ range: { start: { line: 0, character: 4 }, end: { line: 0, character: 5 } }, newText: 'b' }] } } };
  const applied: unknown[] = [];
  const first = edits.review(edit, async (params) => (applied.push(params), { applied: true }));
  const second = edits.review(edit, async (params) => (applied.push(params), { applied: true }));
  await settle();
  const [a, b] = edits.waiting();
  view.fromPage({ type: 'decideEdit', id: a, accept: true });
  view.fromPage({ type: 'decideEdit', id: b, accept: false });
  assert.equal((await first).applied, true);
  assert.equal((await second).applied, false);
  assert.equal(applied.length, 1);
  assert.ok(view.shown >= 1); // the view was brought forward for the user to decide
  view.fromPage({ type: 'showDiff', id: a });
  await settle();
  assert.equal(state.executed.at(-1)?.command, 'vscode.diff');
});

test('links open outside only for web pages; malformed requests do nothing', async () => {
  view.fromPage({ type: 'openLink', href: 'https://example.org/docs' });
  view.fromPage({ type: 'openLink', href: 'javascript:alert(1)' });
  view.fromPage({ type: 'openLink', href: 'command:workbench.action.terminal.new' });
  view.fromPage({ type: 'ask', prompt: '' });
  view.fromPage({ type: 'decideEdit', id: 'edit-1' });
  view.fromPage('not an object');
  await settle();
  assert.deepEqual(state.openedExternal, ['https://example.org/docs']);
  assert.deepEqual(service.calls, []);
});

test('a failure is a notice in the view, not an exception', async () => {
  service.on('cairn.memory.show', () => {
    throw new Error('Cairn is not running (see the Cairn output).');
  });
  view.fromPage({ type: 'showMemory' });
  await settle();
  assert.deepEqual(posted(), ['notice:Cairn: Cairn is not running (see the Cairn output).']);
});

test('a question that cannot be sent ends its turn with the error', async () => {
  service.on('cairn.chat', () => {
    throw new Error('Cairn is not running (see the Cairn output).');
  });
  view.fromPage({ type: 'ask', prompt: 'hello' });
  await settle();
  assert.deepEqual(posted(), ['turn:Cairn:hello', 'error:Cairn is not running (see the Cairn output).', 'end:failed']);
});

test('a re-created page gets the transcript again; the old one gets nothing more', async () => {
  transcript.notice('before');
  const old = view;
  old.dispose();
  view = new FakeWebviewView();
  provider.resolveWebviewView(view as never);
  view.fromPage({ type: 'ready' });
  transcript.notice('after');
  assert.deepEqual(posted(), ['notice:before', 'notice:after']);
  assert.ok(!compact(old.posted).includes('notice:after'));
  provider.reveal();
  assert.equal(view.shown, 1);
});

test('reveal before the view exists opens it', () => {
  const fresh = new ChatViewProvider(Uri.file('/ext') as never, new ChatTranscript(), {} as never);
  fresh.reveal();
  assert.deepEqual(state.executed.map((call) => call.command), [`${CHAT_VIEW_ID}.focus`]);
  assert.equal(typeof vscode.window.registerWebviewViewProvider, 'function');
});
