import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { listEntries, listOf, toMarkdown } from '../../src/results';

test('text results render as they are', () => {
  assert.equal(toMarkdown('Memory', '- uses pytest'), '# Memory\n\n- uses pytest\n');
  assert.equal(toMarkdown('Memory', { markdown: '## Project\n- a', lines: 2 }), '# Memory\n\n## Project\n- a\n');
});

test('lists become bullet points, empty lists say so', () => {
  const result = { results: [{ id: 3, text: 'The tests run with  pytest', kind: 'fact' }, 'plain'] };
  assert.deepEqual(listOf(result)?.length, 2);
  assert.equal(toMarkdown('Search', result), '# Search\n\n- The tests run with pytest _(#3 \u00b7 fact)_\n- plain\n');
  assert.equal(toMarkdown('Skills', []), '# Skills\n\n_Nothing yet._\n');
});

test('list entries keep the record for follow-up commands', () => {
  const [entry] = listEntries([{ name: 'python-tests', description: 'Write pytest tests', source: 'bundled' }]);
  assert.equal(entry.label, 'python-tests');
  assert.equal(entry.description, 'bundled');
  assert.equal(entry.detail, 'Write pytest tests');
  assert.equal(entry.record.name, 'python-tests');
});

test('anything else is shown as JSON', () => {
  assert.equal(toMarkdown('Status', { version: '1' }), '# Status\n\n```json\n{\n  "version": "1"\n}\n```\n');
  assert.equal(toMarkdown('Nothing', undefined), '# Nothing\n\n```json\nnull\n```\n');
});
