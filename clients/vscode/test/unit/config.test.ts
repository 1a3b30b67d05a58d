import { state } from '../support/vscodeMock';
import { strict as assert } from 'node:assert';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeEach, test } from 'node:test';
import { editsPreviewFirst, launchInputs, serverConfiguration } from '../../src/config';

const manifest = JSON.parse(readFileSync(join(__dirname, '../../../package.json'), 'utf8'));
const properties = manifest.contributes.configuration.properties;

beforeEach(() => state.reset());

test('the server settings can be set in User settings and count in remote windows', () => {
  // VS Code drops `machine` and `machine-overridable` values from the local User settings in a
  // remote window (code-server, Remote-SSH, WSL) and hides them from the User tab there.
  for (const key of ['cairn.server.pythonPath', 'cairn.server.command']) {
    assert.equal(properties[key].scope, 'window', key);
    assert.ok(manifest.capabilities.untrustedWorkspaces.restrictedConfigurations.includes(key), key);
  }
});

test('the interpreter comes from the user layer (User merged with Remote settings), trusted or not', async () => {
  // in a remote extension host, inspect().globalValue is the User value overridden by the Remote one
  state.settings.set('server.pythonPath', { globalValue: ' /home/me/.venv/bin/python ' });
  assert.equal((await launchInputs()).pythonPath, '/home/me/.venv/bin/python');
  state.trusted = false;
  assert.equal((await launchInputs()).pythonPath, '/home/me/.venv/bin/python');
  state.settings.set('server.pythonPath', { workspaceValue: '/repo/.venv/bin/python' });
  assert.equal((await launchInputs()).pythonPath, undefined); // an untrusted repo cannot pick it
  state.trusted = true;
  assert.equal((await launchInputs()).pythonPath, '/repo/.venv/bin/python');
});

test('previewFirst is off by default, read at each edit, and never sent to the server', () => {
  assert.deepEqual([properties['cairn.edits.previewFirst'].type, properties['cairn.edits.previewFirst'].default], ['boolean', false]);
  assert.equal(editsPreviewFirst(), false);
  state.settings.set('edits.previewFirst', { globalValue: true });
  assert.equal(editsPreviewFirst(), true);
  assert.ok(!('edits.previewFirst' in serverConfiguration()) && !('previewFirst' in serverConfiguration()));
});

test('the chat view lives in a Cairn container of its own, with an icon that ships', () => {
  const [container] = manifest.contributes.viewsContainers.activitybar;
  assert.equal(container.id, 'cairn');
  const [view] = manifest.contributes.views.cairn;
  assert.deepEqual([view.type, view.id], ['webview', 'cairn.chat']);
  const ignore = readFileSync(join(__dirname, '../../../.vscodeignore'), 'utf8');
  for (const file of [container.icon, 'dist/webview.js', 'dist/webview.css']) {
    assert.ok(ignore.includes(`!${file}`), `${file} is left out of the .vsix`);
  }
});
