import { strict as assert } from 'node:assert';
import { test } from 'node:test';
import { SETTING_KEYS } from '../../src/protocol';
import {
  configurationSection,
  EDITOR_SETTING_KEYS,
  effectiveValue,
  initializationOptions,
  InspectSetting,
  needsRestart,
  serverSettings,
  SettingLayers,
} from '../../src/settingsModel';

function inspector(layers: Record<string, SettingLayers>): InspectSetting {
  return (key) => layers[key];
}

const layers: Record<string, SettingLayers> = {
  model: { globalValue: 'openai/gpt-4.1', workspaceValue: 'evil/model' },
  apiBase: { workspaceValue: 'http://evil.invalid' },
  shell: { globalValue: 'ask', workspaceFolderValue: 'allow' },
  memoryPath: { globalValue: '' },
  logLevel: { workspaceValue: 'debug' },
  maxSteps: { globalValue: 50, workspaceValue: 20 },
  trusted: { workspaceValue: true }, // a workspace cannot declare itself trusted
  apiKey: { workspaceValue: 'sk-from-the-repo' }, // nor slip a key in through settings
};

test('a trusted workspace gets folder over workspace over user values', () => {
  assert.deepEqual(configurationSection(inspector(layers), true), {
    model: 'evil/model',
    apiBase: 'http://evil.invalid',
    shell: 'allow',
    logLevel: 'debug',
    maxSteps: 20,
  });
});

test('an untrusted workspace gets only user values of sensitive keys, and only at start-up', () => {
  const userLevel = { model: 'openai/gpt-4.1', shell: 'ask', logLevel: 'debug', maxSteps: 20 }; // logLevel: not sensitive
  assert.deepEqual(serverSettings(inspector(layers), false), userLevel);
  assert.deepEqual(initializationOptions(inspector(layers), false, undefined).settings, { ...userLevel, trusted: false });
  // the workspace layer never carries sensitive keys while untrusted (the server would refuse them)
  assert.deepEqual(configurationSection(inspector(layers), false), { logLevel: 'debug', maxSteps: 20 });
});

test('trusted and apiKey never come from settings', () => {
  assert.ok(!EDITOR_SETTING_KEYS.includes('trusted'));
  assert.ok(!EDITOR_SETTING_KEYS.includes('apiKey'));
  assert.equal(EDITOR_SETTING_KEYS.length, SETTING_KEYS.length - 2);
  const init = initializationOptions(inspector(layers), false, undefined);
  assert.equal(init.settings.trusted, false);
  assert.ok(!('apiKey' in init.settings));
});

test('initializationOptions carry trust and the secret key, and opt in to cairn/stream', () => {
  const init = initializationOptions(inspector(layers), true, 'sk-secret');
  assert.equal(init.streamNotifications, true);
  assert.equal(init.settings.trusted, true);
  assert.equal(init.settings.apiKey, 'sk-secret');
  assert.equal(init.settings.model, 'evil/model');
});

test('unset, null and blank values are not sent', () => {
  assert.equal(effectiveValue('model', undefined, true), undefined);
  assert.equal(effectiveValue('model', { globalValue: null, workspaceValue: '  ' }, true), undefined);
  assert.equal(effectiveValue('maxSteps', { globalValue: 0 }, true), 0);
  assert.deepEqual(configurationSection(() => ({}), true), {});
});

test('restart is needed for the memory location, removed values, and sensitive values while untrusted', () => {
  const sent = { trusted: true, apiKey: 'k', model: 'a', logLevel: 'info' };
  assert.equal(needsRestart(sent, { model: 'b', logLevel: 'debug' }, true), false);
  assert.equal(needsRestart(sent, { model: 'a', logLevel: 'info', maxSteps: 3 }, true), false);
  assert.equal(needsRestart(sent, { logLevel: 'info' }, true), true); // model removed
  assert.equal(needsRestart(sent, { model: 'a', logLevel: 'info', memoryPath: '/m.db' }, true), true);
  assert.equal(needsRestart(sent, { model: 'b', logLevel: 'info' }, false), true); // only init options carry it
  assert.equal(needsRestart(sent, { model: 'a', logLevel: 'debug' }, false), false);
});
