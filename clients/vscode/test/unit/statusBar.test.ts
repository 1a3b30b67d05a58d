import { state, Uri } from '../support/vscodeMock';
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, mock, test } from 'node:test';
import { BUSY_REFRESH_MS, StatusBar } from '../../src/statusBar';
import { FakeService } from '../support/fakeService';

const settled = { model: 'openai/gpt-4.1', workspace: '/loose', memory: { path: '/m', exists: true }, running: [], trusted: true };

beforeEach(() => {
  state.reset();
  mock.timers.enable({ apis: ['setTimeout'] });
});
afterEach(() => mock.timers.reset());

test('a window with no folder: the status is asked again soon after the first file opens', async () => {
  let report: Record<string, unknown> = { ...settled, workspace: null, workspacePending: true };
  const service = new FakeService().on('cairn.status', () => report);
  const bar = new StatusBar(service);
  await bar.refresh();
  assert.match(state.statusItems[0].text, /waiting for a file/);
  report = settled; // the server took the file's folder as its workspace
  state.documentOpened.fire({ uri: Uri.file('/loose/loose.py') });
  mock.timers.tick(BUSY_REFRESH_MS);
  await new Promise(setImmediate);
  assert.equal(service.sent('cairn.status').length, 2);
  assert.doesNotMatch(state.statusItems[0].text, /waiting for a file/);
  bar.dispose();
});

test('with a workspace, opening files does not poll the status', async () => {
  const service = new FakeService().on('cairn.status', () => settled);
  const bar = new StatusBar(service);
  await bar.refresh();
  state.documentOpened.fire({ uri: Uri.file('/ws/mod.py') });
  mock.timers.tick(BUSY_REFRESH_MS);
  await new Promise(setImmediate);
  assert.equal(service.sent('cairn.status').length, 1);
  bar.dispose();
});
