import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { runStreamed, StreamRouter } from '../../src/streams';
import { recordingSink } from '../support/recorder';
import { FakeService, FakeToken } from '../support/fakeService';


test('events are routed by stream id and a route ends at done', async () => {
  const router = new StreamRouter();
  const a = recordingSink();
  const b = recordingSink();
  const routeA = router.open('a', a.sink);
  router.open('b', b.sink);
  router.dispatch({ streamId: 'a', kind: 'text', text: 'Hel' });
  router.dispatch({ streamId: 'b', kind: 'status', text: 'reading x.py' });
  router.dispatch({ streamId: 'a', kind: 'text', text: 'lo' });
  router.dispatch({ streamId: 'a', kind: 'done', text: '' });
  router.dispatch({ streamId: 'a', kind: 'text', text: 'late' });
  await routeA.finished;
  assert.deepEqual(a.events, ['text:Hel', 'text:lo', 'end']);
  assert.deepEqual(b.events, ['status:reading x.py']);
  assert.deepEqual(routeA.outcome, { streamId: 'a', text: 'Hello', errors: [], done: true });
  assert.deepEqual(router.openStreams(), ['b']);
});

test('malformed params are ignored and opening an id twice is refused', () => {
  const router = new StreamRouter();
  const { events, sink } = recordingSink();
  router.open('x', sink);
  for (const bad of [null, 'x', { streamId: 'x' }, { streamId: 'x', kind: 'shout', text: 'a' }, { streamId: 1, kind: 'text' }]) {
    router.dispatch(bad);
  }
  assert.deepEqual(events, []);
  assert.throws(() => router.open('x', sink), /already open/);
});

test('streams nobody opened go to the fallback, one sink per stream', () => {
  const made: string[] = [];
  const sinks = new Map<string, ReturnType<typeof recordingSink>>();
  const router = new StreamRouter((id) => {
    made.push(id);
    const recorder = recordingSink();
    sinks.set(id, recorder);
    return recorder.sink;
  });
  router.dispatch({ streamId: 's1', kind: 'text', text: 'one' });
  router.dispatch({ streamId: 's1', kind: 'text', text: ' two' });
  router.dispatch({ streamId: 's1', kind: 'done', text: '' });
  router.dispatch({ streamId: 's2', kind: 'done', text: '' }); // a bare done opens nothing
  assert.deepEqual(made, ['s1']);
  assert.deepEqual(sinks.get('s1')!.events, ['text:one', 'text: two', 'end']);
});

/** What the server answers a run command with at once; the run's events follow later. */
function started(args: { streamId: string }) {
  return { runId: args.streamId, streamId: args.streamId, sessionId: 's', status: 'started' };
}

/** Emit `events` after the command has been answered, as the server does. */
function later(emit: (kind: any, text?: string) => void, events: [string, string?][]): void {
  setImmediate(() => events.forEach(([kind, text]) => emit(kind, text)));
}

test('runStreamed sends its stream id, waits for done and returns the run\u2019s outcome', async () => {
  const service = new FakeService().on('cairn.chat', (args, emit) => {
    later(emit, [['status', 'thinking'], ['text', 'Hi '], ['text', 'there'], ['done']]);
    return started(args);
  });
  service.on('cairn.result', (args) => ({ runId: args.runId, status: 'done', text: 'Hi there' }));
  const { events, sink } = recordingSink();
  const outcome = await runStreamed(service.send, service.router, 'cairn.chat', { prompt: 'hello' }, sink);
  const sent = service.sent('cairn.chat')[0] as { streamId: string; prompt: string };
  assert.match(sent.streamId, /^[0-9a-f-]{36}$/);
  assert.equal(sent.prompt, 'hello');
  assert.equal(outcome.streamId, sent.streamId);
  assert.equal(outcome.text, 'Hi there');
  assert.equal(outcome.done, true);
  assert.deepEqual(service.sent('cairn.result'), [{ runId: sent.streamId }]);
  assert.deepEqual(outcome.result, { runId: sent.streamId, status: 'done', text: 'Hi there' });
  assert.deepEqual(events, ['status:thinking', 'text:Hi ', 'text:there', 'end']);
  assert.deepEqual(service.router.openStreams(), []);
});

test('runStreamed keeps a stream id the caller chose and reports errors', async () => {
  const service = new FakeService().on('cairn.runAction', (args, emit) => {
    later(emit, [['error', 'the model is unreachable'], ['done']]);
    return started(args);
  });
  const { sink } = recordingSink();
  const args = { action: 'explain' as const, uri: 'file:///a.py', range: { start: { line: 0, character: 0 }, end: { line: 1, character: 0 } }, streamId: 'mine' };
  const outcome = await runStreamed(service.send, service.router, 'cairn.runAction', args, sink);
  assert.equal((service.sent('cairn.runAction')[0] as { streamId: string }).streamId, 'mine');
  assert.deepEqual(outcome.errors, ['the model is unreachable']);
});

test('cancelling the token asks the server to cancel that stream', async () => {
  const token = new FakeToken();
  let emitLater!: (kind: any, text?: string) => void;
  const service = new FakeService().on('cairn.chat', (args, emit) => {
    emitLater = emit;
    later(emit, [['text', 'partial']]);
    return started(args);
  });
  service.on('cairn.cancel', (args) => {
    later(emitLater, [['error', 'Cancelled'], ['done']]);
    return { cancelled: args.streamId ? 1 : 0 };
  });
  const { events, sink } = recordingSink();
  const running = runStreamed(service.send, service.router, 'cairn.chat', { prompt: 'long' }, sink, token);
  while (!events.includes('text:partial')) {
    await new Promise((resolve) => setImmediate(resolve));
  }
  token.cancel();
  const outcome = await running;
  assert.deepEqual(service.sent('cairn.cancel'), [{ streamId: outcome.streamId }]);
  assert.equal(outcome.text, 'partial');
  assert.deepEqual(events, ['text:partial', 'error:Cancelled', 'end']);
});

test('an answer that is not a started run ends the stream with that answer', async () => {
  const service = new FakeService().on('cairn.chat', () => 'ok');
  const { events, sink } = recordingSink();
  const outcome = await runStreamed(service.send, service.router, 'cairn.chat', { prompt: 'x' }, sink);
  assert.equal(outcome.done, false);
  assert.equal(outcome.result, 'ok');
  assert.deepEqual(events, ['end']);
  assert.deepEqual(service.router.openStreams(), []);
});

test('a failing command closes its route and rejects', async () => {
  const service = new FakeService().on('cairn.chat', () => {
    throw new Error('Invalid params: prompt');
  });
  const { events, sink } = recordingSink();
  await assert.rejects(runStreamed(service.send, service.router, 'cairn.chat', { prompt: 'x' }, sink), /Invalid params/);
  assert.deepEqual(events, ['end']);
  assert.deepEqual(service.router.openStreams(), []);
});
