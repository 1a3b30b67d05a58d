import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { parseViewRequest } from '../../src/chatMessages';

test('the webview\u2019s requests are parsed into known shapes', () => {
  assert.deepEqual(parseViewRequest({ type: 'ask', prompt: '  why?  ' }), { type: 'ask', prompt: 'why?' });
  assert.deepEqual(parseViewRequest({ type: 'cancel' }), { type: 'cancel' });
  assert.deepEqual(parseViewRequest({ type: 'cancel', turnId: 't1' }), { type: 'cancel', turnId: 't1' });
  assert.deepEqual(parseViewRequest({ type: 'decideEdit', id: 'edit-1', accept: false }), { type: 'decideEdit', id: 'edit-1', accept: false });
  assert.deepEqual(parseViewRequest({ type: 'showMemory', extra: 'ignored' }), { type: 'showMemory' });
  assert.deepEqual(parseViewRequest({ type: 'openSkill', name: 'python-tests' }), { type: 'openSkill', name: 'python-tests' });
});

test('anything else is refused', () => {
  for (const value of [
    null,
    'ask',
    { type: 'ask', prompt: '   ' },
    { type: 'ask', prompt: 42 },
    { type: 'ask', prompt: 'x'.repeat(100_001) },
    { type: 'cancel', turnId: 7 },
    { type: 'decideEdit', id: 'edit-1', accept: 'yes' },
    { type: 'decideEdit', accept: true },
    { type: 'openLink' },
    { type: 'runShell', command: 'rm -rf /' },
  ]) {
    assert.equal(parseViewRequest(value), undefined, JSON.stringify(value)?.slice(0, 80));
  }
});
