import { state, Uri } from '../support/vscodeMock';
import { strict as assert } from 'node:assert';
import { beforeEach, test } from 'node:test';
import { ChatTranscript } from '../../src/chatTranscript';
import { ApplyEditParams, EditReview, REJECTED, WITHDRAWN } from '../../src/editReview';
import { PROPOSAL_SCHEME, VirtualDocuments } from '../../src/virtualDocuments';
import { compact, settle } from '../support/webview';

const SOURCE = 'def add(a, b):\n    return a + c\n';
const PARAMS: ApplyEditParams = {
  label: 'Cairn: use b',
  edit: {
    documentChanges: [
      {
        textDocument: { uri: 'file:///ws/mod.py', version: 4 },
        edits: [{ range: { start: { line: 1, character: 15 }, end: { line: 1, character: 16 } }, newText: 'b', annotationId: 'cairn.agentEdit' }],
      },
    ],
    changeAnnotations: { 'cairn.agentEdit': { label: 'Cairn edit', needsConfirmation: true, description: 'use b' } },
  },
};

let transcript: ChatTranscript;
let revealed: number;
let previewFirst: boolean;
let review: EditReview;
let applied: ApplyEditParams[];
const next = async (params: ApplyEditParams) => {
  applied.push(params);
  return { applied: true };
};

beforeEach(() => {
  state.reset();
  state.workspaceFolders = [{ uri: Uri.file('/ws'), name: 'ws', index: 0 }];
  state.documentTexts.set('file:///ws/mod.py', SOURCE);
  transcript = new ChatTranscript();
  revealed = 0;
  previewFirst = false;
  applied = [];
  review = new EditReview({ transcript, proposals: new VirtualDocuments(PROPOSAL_SCHEME), reveal: () => (revealed += 1), previewFirst: () => previewFirst });
});

function cards() {
  return transcript.messages().flatMap((message) => (message.type === 'edit' ? [message.edit] : []));
}

test('an edit waits for the user, shows in the running turn, and applies as accepted', async () => {
  transcript.turn('run-1', 'Fix \u2014 mod.py');
  const result = review.review(PARAMS, next);
  await settle();
  assert.equal(applied.length, 0); // nothing applied before the user says so
  assert.equal(revealed, 1);
  const [card] = cards();
  assert.deepEqual(card, { id: card.id, turnId: 'run-1', label: 'use b', files: [{ path: 'mod.py', added: 1, removed: 1 }], state: 'pending' });
  assert.deepEqual(review.waiting(), [card.id]);
  review.decide(card.id, true);
  assert.deepEqual(await result, { applied: true });
  // applied without VS Code's Refactor Preview (which would open the change unticked)
  assert.equal(applied[0].edit.changeAnnotations!['cairn.agentEdit'].needsConfirmation, false);
  assert.deepEqual(applied[0].edit.documentChanges, PARAMS.edit.documentChanges);
  assert.deepEqual(cards().map((c) => c.state), ['pending', 'applied']);
  assert.deepEqual(review.waiting(), []);
});

test('a rejected edit is not applied and the server hears why', async () => {
  const result = review.review(PARAMS, next);
  await settle();
  review.decide(cards()[0].id, false);
  assert.deepEqual(await result, { applied: false, failureReason: REJECTED });
  assert.equal(applied.length, 0);
  assert.equal(cards()[0].turnId, undefined); // no run was showing: a card of its own
  assert.deepEqual(cards().map((c) => c.state), ['pending', 'rejected']);
});

test('an edit still waiting when its run ends is withdrawn; a late answer changes nothing', async () => {
  const turn = transcript.turn('run-2', 'Cairn');
  const result = review.review(PARAMS, next);
  await settle();
  turn.cancelRequested();
  turn.end!();
  assert.deepEqual(await result, { applied: false, failureReason: WITHDRAWN });
  review.decide(cards()[0].id, true);
  await settle();
  assert.equal(applied.length, 0);
  assert.deepEqual(compact(transcript.messages()).filter((line) => line.startsWith('edit:')).map((line) => line.split(':')[2]), ['pending', 'withdrawn']);
});

test('VS Code refusing the edit shows as not applied', async () => {
  const result = review.review(PARAMS, async () => ({ applied: false }));
  await settle();
  review.decide(cards()[0].id, true);
  assert.deepEqual(await result, { applied: false });
  assert.equal(cards()[1].state, 'failed');
  assert.match(cards()[1].detail ?? '', /did not apply/);
});

test('Show diff opens the file beside what the edit would make of it; previewFirst opens it at once', async () => {
  const first = review.review(PARAMS, next);
  await settle();
  assert.equal(state.executed.length, 0);
  await review.showDiff(cards()[0].id);
  const [diff] = state.executed;
  assert.equal(diff.command, 'vscode.diff');
  const [left, right, title] = diff.args as [Uri, Uri, string];
  assert.equal(left.toString(), 'file:///ws/mod.py');
  assert.equal(right.scheme, PROPOSAL_SCHEME);
  assert.equal(state.contentProviders.get(PROPOSAL_SCHEME)!.provideTextDocumentContent(right), 'def add(a, b):\n    return a + b\n');
  assert.match(title, /mod\.py/);
  review.decide(cards()[0].id, true);
  await first;
  previewFirst = true;
  const second = review.review(PARAMS, next);
  await settle();
  assert.equal(state.executed.filter((call) => call.command === 'vscode.diff').length, 2);
  review.decide(cards().at(-1)!.id, false);
  await second;
});

test('a created file is shown as new, against an empty left side', async () => {
  const params: ApplyEditParams = {
    label: 'Cairn: tests',
    edit: {
      documentChanges: [
        { kind: 'create', uri: 'file:///ws/test_mod.py' },
        { textDocument: { uri: 'file:///ws/test_mod.py', version: null }, edits: [{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, newText: 'import mod\n\n\ndef test_add():\n    assert mod.add(1, 2) == 3\n' }] },
      ],
    },
  };
  const result = review.review(params, next);
  await settle();
  assert.deepEqual(cards()[0].files, [{ path: 'test_mod.py', added: 5, removed: 0, created: true }]);
  await review.showDiff(cards()[0].id);
  const [left] = state.executed[0].args as [Uri];
  assert.equal(left.scheme, PROPOSAL_SCHEME);
  assert.equal(state.contentProviders.get(PROPOSAL_SCHEME)!.provideTextDocumentContent(left), '');
  review.dispose(); // the extension going away withdraws what still waits
  assert.equal((await result).applied, false);
});
