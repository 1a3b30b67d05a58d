import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { statusView, taskLabel } from '../../src/statusText';

const report = {
  version: '0.1.0',
  workspace: '/ws',
  trusted: true,
  model: 'openai/gpt-4.1',
  memory: { path: '/data/ws/memory.sqlite3', exists: true },
  running: [] as string[],
  problems: [] as string[],
};

test('idle: model and memory state', () => {
  const view = statusView(report, 'running');
  assert.equal(view.text, '$(hubot) Cairn: openai/gpt-4.1 \u00b7 memory');
  assert.equal(view.busy, false);
  assert.match(view.tooltip, /Memory: \/data\/ws\/memory.sqlite3/);
});

test('running work is named and marks the item busy', () => {
  const view = statusView({ ...report, running: ['checkpoint:abc', 'memory.consolidate', '0f8fad5b-d9cb-469f-a165-70867728950e'] }, 'running');
  assert.equal(view.text, '$(sync~spin) Cairn: openai/gpt-4.1 \u00b7 memory \u00b7 checkpoint, consolidating memory, working');
  assert.equal(view.busy, true);
  assert.match(view.tooltip, /Running: checkpoint, consolidating memory, working/);
});

test('restricted mode, new memory, no model, problems', () => {
  const view = statusView({ ...report, trusted: false, model: null, memory: { path: '/m', exists: false }, problems: ['workspace/configuration: model: ignored until the workspace is trusted'] }, 'running');
  assert.equal(view.text, '$(warning) Cairn: no model \u00b7 memory (new) $(shield)');
  assert.match(view.tooltip, /restricted mode \(untrusted\)/);
  assert.match(view.tooltip, /Problem: workspace\/configuration: model/);
});

test('a window with no folder and no file yet: the first file opened will be the workspace', () => {
  const view = statusView({ ...report, workspace: null, workspacePending: true, memoryState: 'starting' }, 'running');
  assert.equal(view.text, '$(hubot) Cairn: openai/gpt-4.1 \u00b7 waiting for a file');
  assert.match(view.tooltip, /Workspace: the folder of the first file you open/);
});

test('a server that is not running', () => {
  assert.equal(statusView(undefined, 'failed').text, '$(error) Cairn');
  assert.equal(statusView(report, 'stopped').text, '$(circle-slash) Cairn');
  assert.equal(statusView(undefined, 'starting').busy, true);
});

test('task labels', () => {
  assert.equal(taskLabel('summarize:12'), 'summarizing');
  assert.equal(taskLabel('dream'), 'consolidating memory');
  assert.equal(taskLabel('0f8fad5bd9cb469fa16570867728950e'), 'working');
  assert.equal(taskLabel('index'), 'index');
});

test('the memory feature\u2019s state is shown when the server reports it', () => {
  assert.equal(statusView({ ...report, memoryState: 'ready' }, 'running').text, '$(hubot) Cairn: openai/gpt-4.1 \u00b7 memory');
  const broken = statusView({ ...report, memoryState: 'unavailable (database from a newer Cairn)' }, 'running');
  assert.equal(broken.text, '$(warning) Cairn: openai/gpt-4.1 \u00b7 no memory');
  assert.match(broken.tooltip, /unavailable \(database from a newer Cairn\)/);
  assert.equal(statusView({ ...report, memoryState: 'starting' }, 'running').text, '$(hubot) Cairn: openai/gpt-4.1 \u00b7 memory (starting)');
  const checkpointing = statusView({ ...report, memoryState: 'checkpointing' }, 'running');
  assert.equal(checkpointing.text, '$(sync~spin) Cairn: openai/gpt-4.1 \u00b7 memory \u00b7 checkpoint');
  assert.equal(checkpointing.busy, true);
  const consolidating = statusView({ ...report, memoryState: 'consolidating', running: ['memory-consolidation'] }, 'running');
  assert.equal(consolidating.text, '$(sync~spin) Cairn: openai/gpt-4.1 \u00b7 memory \u00b7 consolidating memory');
});
