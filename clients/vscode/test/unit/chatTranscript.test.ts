import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import type { ViewMessage } from '../../src/chatMessages';
import { ChatTranscript } from '../../src/chatTranscript';
import { compact } from '../support/webview';

test('a view attached late gets the whole transcript, chunks joined, then every new message', () => {
  const transcript = new ChatTranscript();
  const turn = transcript.turn('t1', 'Cairn', 'hello?');
  turn.status('thinking');
  turn.text('Hel');
  turn.text('lo');
  const posted: ViewMessage[] = [];
  transcript.attach((message) => posted.push(message));
  assert.deepEqual(compact(posted), ['turn:Cairn:hello?', 'step:thinking', 'text:Hello']);
  turn.text('!');
  turn.end!();
  assert.deepEqual(compact(posted).slice(3), ['text:!', 'end:done']);
});

test('a turn ends once, as done, failed or cancelled', () => {
  const transcript = new ChatTranscript();
  const ended: string[] = [];
  transcript.onTurnEnded((turnId) => ended.push(turnId));
  const failed = transcript.turn('a', 'Cairn');
  failed.error('the model is unreachable');
  failed.end!();
  failed.end!();
  const cancelled = transcript.turn('b', 'Cairn');
  assert.deepEqual(transcript.runningTurns(), ['b']);
  cancelled.cancelRequested();
  cancelled.error('Cancelled.');
  cancelled.end!();
  assert.deepEqual(compact(transcript.messages()).filter((line) => line.startsWith('end:')), ['end:failed', 'end:cancelled']);
  assert.deepEqual(ended, ['a', 'b']);
  assert.deepEqual(transcript.runningTurns(), []);
  assert.equal(cancelled.ended, true);
});

test('a detached view gets nothing more; the replay is bounded; one server state is kept', () => {
  const transcript = new ChatTranscript(5);
  const posted: ViewMessage[] = [];
  const attached = transcript.attach((message) => posted.push(message));
  transcript.server('starting');
  transcript.server('running');
  attached.dispose();
  for (let i = 0; i < 10; i++) {
    transcript.notice(`n${i}`);
  }
  assert.deepEqual(compact(posted), ['server:starting', 'server:running']);
  assert.deepEqual(compact(transcript.messages()), ['notice:n5', 'notice:n6', 'notice:n7', 'notice:n8', 'notice:n9']);
  const other = new ChatTranscript();
  other.server('starting');
  other.notice('x');
  other.server('running');
  assert.deepEqual(compact(other.messages()), ['notice:x', 'server:running']);
});
