import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { ChatState, TurnItem } from '../../webview/chatState';
import { escapeHtml, renderMarkdown } from '../../webview/markdown';

test('the page\u2019s state follows a run: steps, streamed text, its edits and its end', () => {
  const state = new ChatState();
  assert.equal((state.apply({ type: 'turn', turnId: 't', title: 'Cairn', prompt: 'fix it' }) as { item: TurnItem }).item.id, 't');
  state.apply({ type: 'step', turnId: 't', text: 'read_file mod.py' });
  state.apply({ type: 'text', turnId: 't', text: 'Fixed ' });
  state.apply({ type: 'text', turnId: 't', text: 'it.' });
  const edit = { id: 'edit-1', turnId: 't', label: 'use b', files: [{ path: 'mod.py', added: 1, removed: 1 }], state: 'pending' as const };
  const changed = state.apply({ type: 'edit', edit });
  assert.equal((changed as { item: TurnItem }).item.id, 't'); // the run's card is redrawn with it
  state.apply({ type: 'edit', edit: { ...edit, state: 'applied' } });
  assert.deepEqual(state.runningTurns().map((turn) => turn.id), ['t']);
  state.apply({ type: 'end', turnId: 't', outcome: 'done' });
  const [turn] = state.items as TurnItem[];
  assert.deepEqual([turn.text, turn.steps, turn.edits, turn.outcome], ['Fixed it.', ['read_file mod.py'], ['edit-1'], 'done']);
  assert.equal(state.edits.get('edit-1')!.state, 'applied');
  assert.deepEqual(state.runningTurns(), []);
});

test('edits without a run, results, notices and server state become their own items', () => {
  const state = new ChatState();
  state.apply({ type: 'edit', edit: { id: 'e', label: 'x', files: [], state: 'pending' } });
  state.apply({ type: 'edit', edit: { id: 'e', label: 'x', files: [], state: 'rejected' } });
  state.apply({ type: 'result', title: 'Project memory', markdown: '- a' });
  state.apply({ type: 'notice', text: 'hi' });
  state.apply({ type: 'session' });
  state.apply({ type: 'text', turnId: 'lost', text: 'orphan chunk' }); // its start fell out of the replay
  assert.deepEqual(state.items.map((item) => item.kind), ['edit', 'result', 'notice', 'session', 'turn']);
  assert.deepEqual(state.apply({ type: 'server', state: 'failed' }), { server: 'failed' });
  assert.equal(state.server, 'failed');
});

test('model output is rendered as markdown with HTML escaped and unsafe links dropped', () => {
  const html = renderMarkdown(
    'Use **pytest**:\n\n```python\nassert add(1, 2) == 3\n```\n\n<script>alert(1)</script> <img src=x onerror=alert(1)>\n\n' +
      '[docs](https://example.org) [bad](javascript:alert(1)) ![pixel](https://tracker.example/p.png)',
  );
  assert.match(html, /<strong>pytest<\/strong>/);
  assert.match(html, /<pre><code class="language-python">assert add\(1, 2\) == 3\n<\/code><\/pre>/);
  assert.doesNotMatch(html, /<script|<img/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
  assert.match(html, /<a href="https:\/\/example.org">docs<\/a>/);
  assert.doesNotMatch(html, /href="javascript:/);
  assert.match(html, /!<a href="https:\/\/tracker.example\/p.png">pixel<\/a>/); // an image is only a link: nothing loads
  assert.equal(escapeHtml(`<a href="x" onclick='y'>&`), '&lt;a href=&quot;x&quot; onclick=&#39;y&#39;&gt;&amp;');
});

test('an unfinished stream renders (an open code fence is code so far)', () => {
  assert.match(renderMarkdown('Here:\n\n```py\ndef f(x):\n    return x <'), /<code class="language-py">def f\(x\):\n    return x &lt;/);
});
