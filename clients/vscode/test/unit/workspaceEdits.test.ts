import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { applyTextEdits, fileChanges, lineDelta, offsetAt, withoutConfirmation } from '../../src/workspaceEdits';

const at = (line: number, character: number) => ({ line, character });
const SOURCE = 'def add(a, b):\n    return a + c\n';

test('a versioned document edit and a created file are listed per file', () => {
  const edit = {
    documentChanges: [
      { kind: 'create', uri: 'file:///ws/test_mod.py', annotationId: 'cairn.agentEdit' },
      { textDocument: { uri: 'file:///ws/test_mod.py', version: null }, edits: [{ range: { start: at(0, 0), end: at(0, 0) }, newText: 'import mod\n' }] },
      { textDocument: { uri: 'file:///ws/mod.py', version: 3 }, edits: [{ range: { start: at(1, 15), end: at(1, 16) }, newText: 'b' }] },
    ],
  };
  assert.deepEqual(
    fileChanges(edit).map((change) => [change.uri, change.created, change.edits.length]),
    [['file:///ws/test_mod.py', true, 1], ['file:///ws/mod.py', false, 1]],
  );
  assert.deepEqual(fileChanges({ changes: { 'file:///a.py': [{ range: { start: at(0, 0), end: at(0, 1) }, newText: 'x' }] } }).map((c) => c.uri), ['file:///a.py']);
});

test('line counts are on whole lines', () => {
  assert.deepEqual(lineDelta(SOURCE, [{ range: { start: at(1, 15), end: at(1, 16) }, newText: 'b' }]), { added: 1, removed: 1 });
  // a whole line replaced by two
  assert.deepEqual(lineDelta(SOURCE, [{ range: { start: at(1, 0), end: at(2, 0) }, newText: '    c = b\n    return a + c + 0\n' }]), { added: 2, removed: 1 });
  // lines inserted before a line
  assert.deepEqual(lineDelta(SOURCE, [{ range: { start: at(1, 0), end: at(1, 0) }, newText: '    """Add."""\n' }]), { added: 1, removed: 0 });
  // a new file
  assert.deepEqual(lineDelta('', [{ range: { start: at(0, 0), end: at(0, 0) }, newText: 'a\nb\n' }]), { added: 2, removed: 0 });
  // a line deleted
  assert.deepEqual(lineDelta(SOURCE, [{ range: { start: at(0, 0), end: at(1, 0) }, newText: '' }]), { added: 0, removed: 1 });
});

test('edits apply to the original text, in LSP order, with UTF-16 positions', () => {
  assert.equal(applyTextEdits(SOURCE, [{ range: { start: at(1, 15), end: at(1, 16) }, newText: 'b' }]), 'def add(a, b):\n    return a + b\n');
  assert.equal(
    applyTextEdits('ab\ncd\n', [
      { range: { start: at(1, 0), end: at(1, 2) }, newText: 'CD' },
      { range: { start: at(0, 0), end: at(0, 0) }, newText: '# ' },
    ]),
    '# ab\nCD\n',
  );
  assert.equal(offsetAt('\u{1F600}x\n', at(0, 2)), 2); // an emoji is two UTF-16 units
  assert.equal(offsetAt('ab\n', at(5, 0)), 3); // past the end: the end
});

test('an accepted edit no longer asks VS Code for confirmation', () => {
  const edit = { documentChanges: [], changeAnnotations: { 'cairn.agentEdit': { label: 'Cairn edit', needsConfirmation: true, description: 'use b' } } };
  const accepted = withoutConfirmation(edit);
  assert.deepEqual(accepted.changeAnnotations['cairn.agentEdit'], { label: 'Cairn edit', needsConfirmation: false, description: 'use b' });
  assert.equal(edit.changeAnnotations['cairn.agentEdit'].needsConfirmation, true); // the original is untouched
  const plain = { changes: {} };
  assert.equal(withoutConfirmation(plain), plain);
});
