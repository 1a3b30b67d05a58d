/**
 * The extension inside a real VS Code (code-server 4.x) driven by headless Chromium through
 * playwright-core, as a user would: the built .vsix installed with `--install-extension`, the
 * server started from `cairn.server.pythonPath` in the User settings (a remote window: the
 * extension host runs in code-server), a scripted OpenAI-compatible model on 127.0.0.1.
 *
 * Run by tests/e2e/clients/test_vscode_browser.py, which builds the .vsix, serves the model and
 * passes: CAIRN_VSIX, CAIRN_PYTHON, CAIRN_MODEL_BASE, CAIRN_BROWSER_ARTIFACTS. Screenshots of
 * every step go to CAIRN_BROWSER_ARTIFACTS. No Copilot and no chat participant are involved.
 */
import { strict as assert } from 'node:assert';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Browser, chromium, Frame, Page } from 'playwright-core';
import { CodeServer } from '../support/codeServer';

const ARTIFACTS = process.env.CAIRN_BROWSER_ARTIFACTS ?? join(tmpdir(), 'cairn-browser-artifacts');
const SOURCE = 'def add(a, b):\n    return a + b\n';
// Debian's chromium as the machine allows it: no sandbox (root), no GPU, nothing online
const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function required(name: string): string {
  const value = process.env[name];
  if (!value) {
    throw new Error(`${name} is not set (run this through tests/e2e/clients/test_vscode_browser.py)`);
  }
  return value;
}

let home: string;
let workspace: string;
let codeServer: CodeServer;
let browser: Browser;
let page: Page;
let shot = 0;

async function screenshot(name: string): Promise<void> {
  shot += 1;
  await page.screenshot({ path: join(ARTIFACTS, `${String(shot).padStart(2, '0')}-${name}.png`) });
}

/** Run a command from the palette by its exact label. */
async function command(label: string): Promise<void> {
  await page.keyboard.press('F1');
  const input = page.locator('.quick-input-widget input');
  await input.waitFor({ state: 'visible' });
  await input.fill(`>${label}`);
  const exact = new RegExp(`^${label.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`);
  const row = page.locator('.quick-input-list .monaco-list-row').filter({ has: page.locator('.label-name', { hasText: exact }) }).first();
  await row.waitFor({ state: 'visible' });
  await row.click();
}

/** A test that leaves a screenshot when it fails. */
function browserTest(name: string, body: () => Promise<void>): void {
  test(name, async () => {
    try {
      await body();
    } catch (error) {
      await screenshot(`FAILED-${name.split(' ').slice(0, 4).join('-')}`).catch(() => undefined);
      throw error;
    }
  });
}

/** The chat view's page (inside the webview's nested frames), once it has loaded. */
async function chatFrame(): Promise<Frame> {
  for (;;) {
    for (const frame of page.frames()) {
      if (await frame.locator('#prompt').count().catch(() => 0)) {
        return frame;
      }
    }
    await page.waitForTimeout(250);
  }
}

before(async () => {
  mkdirSync(ARTIFACTS, { recursive: true });
  home = mkdtempSync(join(tmpdir(), 'cairn-code-server-'));
  workspace = join(home, 'project');
  mkdirSync(workspace);
  writeFileSync(join(workspace, 'mod.py'), SOURCE);
  codeServer = new CodeServer({
    home,
    workspace,
    userSettings: {
      // set in the User layer: honoured in this remote window (the issue: it was not)
      'cairn.server.pythonPath': required('CAIRN_PYTHON'),
      'cairn.model': 'openai/scripted-model',
      'cairn.apiBase': required('CAIRN_MODEL_BASE'),
      'cairn.actionProtocol': 'native',
      'cairn.contextWindow': 32000,
      'workbench.startupEditor': 'none',
      'workbench.secondarySideBar.defaultVisibility': 'hidden',
      'workbench.tips.enabled': false,
      'workbench.enableExperiments': false,
      'extensions.autoCheckUpdates': false,
      'extensions.autoUpdate': false,
      'telemetry.telemetryLevel': 'off',
      'editor.lightbulb.enabled': 'on',
      'chat.disableAIFeatures': true,
      'files.autoSave': 'off', // code-server's default saves after a delay: the test saves itself
    },
    env: {
      CAIRN_API_KEY: 'sk-scripted',
      CAIRN_DATA_DIR: join(home, 'cairn-data'),
      CAIRN_CONFIG_DIR: join(home, 'cairn-config'),
      CAIRN_CACHE_DIR: join(home, 'cairn-cache'),
    },
  });
  const installed = await codeServer.install(required('CAIRN_VSIX'));
  assert.match(installed, /successfully installed/);
  assert.ok(readdirSync(codeServer.extensions).some((name) => name.startsWith('cairn-lsp.cairn-vscode-')), installed);
  await codeServer.start();
  browser = await chromium.launch({ executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_FLAGS });
  page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
  await page.goto(codeServer.url);
  await page.locator('.monaco-workbench .statusbar').waitFor({ state: 'visible', timeout: 120_000 });
});

after(async () => {
  await browser?.close();
  await codeServer?.stop();
  rmSync(home, { recursive: true, force: true });
});

browserTest('the server starts from the User setting and the chat view answers, streamed, without Copilot', async () => {
  await page.locator('.statusbar-item', { hasText: 'Cairn: openai/scripted-model' }).first().waitFor({ timeout: 120_000 });
  await command('Cairn: Focus on Chat View');
  const chat = await chatFrame();
  await chat.locator('#server-state').waitFor({ state: 'hidden' });
  await chat.locator('#prompt').fill('Say hello');
  await chat.locator('#send').click();
  const turn = chat.locator('section.turn').last();
  await turn.locator('.answer', { hasText: 'Hello, world.' }).waitFor();
  await turn.locator('.turn-state', { hasText: 'Done' }).waitFor();
  assert.equal(await turn.locator('.prompt').textContent(), 'Say hello');
  await screenshot('chat-answer');
});

browserTest('a run shows its text while it runs, and Cancel on its notification stops it', async () => {
  await command('Cairn: Chat');
  const input = page.locator('.quick-input-widget input[placeholder="What should Cairn do?"]');
  await input.fill('Go on forever');
  await input.press('Enter');
  const chat = await chatFrame();
  const turn = chat.locator('section.turn').last();
  // streamed: the first words are there while the model is still "typing" (it never finishes)
  await turn.locator('.answer', { hasText: 'Thinking it over' }).waitFor();
  assert.equal(await turn.getAttribute('data-outcome'), 'running');
  const toast = page.locator('.notification-toast', { hasText: 'Cairn: Chat' });
  await toast.waitFor();
  await screenshot('run-with-cancel');
  await toast.getByRole('button', { name: 'Cancel' }).click();
  await turn.locator('.turn-state', { hasText: 'Cancelled' }).waitFor();
  await toast.waitFor({ state: 'hidden' });
  await screenshot('run-cancelled');
});

browserTest('a code action from the lightbulb proposes an edit that lands once accepted', async () => {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.fill('mod.py');
  await page.locator('.quick-input-list .monaco-list-row', { hasText: 'mod.py' }).first().waitFor();
  await input.press('Enter');
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines', { hasText: 'def add' }).waitFor();
  await editor.locator('.view-line').first().click();
  await page.keyboard.press('Home');
  // the lightbulb of the cursor's line: no diagnostics here, so Explain, Docstring, Tests
  const bulb = page.locator('.lightBulbWidget');
  await bulb.waitFor({ state: 'visible' });
  await bulb.click();
  const menu = page.locator('.action-widget');
  await menu.locator('.monaco-list-row', { hasText: 'Cairn: Add docstring' }).waitFor();
  // "Write tests" is in the lightbulb's menu too, not only under Source Action
  assert.equal(await menu.locator('.monaco-list-row', { hasText: 'Cairn: Write tests' }).count(), 1);
  await screenshot('code-actions');
  await menu.locator('.monaco-list-row', { hasText: 'Cairn: Add docstring' }).click();
  const chat = await chatFrame();
  const card = chat.locator('.edit').last();
  await card.locator('.edit-state', { hasText: 'Waiting for you' }).waitFor();
  assert.match((await card.locator('.edit-files').textContent()) ?? '', /mod\.py\s*\+1\s*\u22120/);
  assert.doesNotMatch(await editor.locator('.view-lines').textContent() ?? '', /Add a and b/); // not before accepting
  await screenshot('edit-proposed');
  await card.getByRole('button', { name: 'Accept' }).click();
  await card.locator('.edit-state', { hasText: 'Applied' }).waitFor();
  await editor.locator('.view-lines', { hasText: 'Add a and b.' }).waitFor();
  await chat.locator('section.turn').last().locator('.turn-state', { hasText: 'Done' }).waitFor();
  assert.equal(await page.locator('.tab.active.dirty', { hasText: 'mod.py' }).count(), 1); // applied, not yet saved
  await command('File: Save');
  await page.locator('.tab.active:not(.dirty)', { hasText: 'mod.py' }).waitFor();
  // code-server writes through its own process: wait for the file to be complete on disk
  const expected = 'def add(a, b):\n    """Add a and b."""\n    return a + b\n';
  let saved = '';
  for (let attempt = 0; attempt < 100 && saved !== expected; attempt++) {
    await page.waitForTimeout(100);
    saved = readFileSync(join(workspace, 'mod.py'), 'utf8');
  }
  assert.equal(saved, expected);
  await screenshot('edit-applied');
});

browserTest('memory and skills show in the chat view; a result tab closes without a save prompt', async () => {
  const chat = await chatFrame();
  await chat.getByRole('button', { name: 'Memory' }).click();
  await chat.locator('section.result', { hasText: 'Project memory' }).waitFor();
  await chat.getByRole('button', { name: 'Skills' }).click();
  await chat.locator('section.skills li').first().waitFor();
  await screenshot('memory-and-skills');
  await command('Cairn: Show Status');
  const tab = page.locator('.tab', { hasText: 'Cairn status.md' });
  await tab.waitFor();
  assert.equal(await page.locator('.tab.dirty', { hasText: 'Cairn status.md' }).count(), 0);
  await screenshot('result-view');
  await command('View: Close Editor');
  await tab.waitFor({ state: 'detached' });
  assert.equal(await page.locator('.monaco-dialog-box').count(), 0);
});

browserTest('the Cairn output shows each server log line once', async () => {
  await command('Cairn: Show Server Log');
  await page.locator('.part.panel').waitFor({ state: 'visible' });
  await screenshot('server-log');
  const [log] = codeServer.logFiles('Cairn.log');
  assert.ok(log, `no Cairn.log under ${codeServer.userData}/logs`);
  const lines = readFileSync(log, 'utf8').split('\n');
  assert.ok(lines.some((line) => line.includes('Starting the server: ' + required('CAIRN_PYTHON') + ' -m cairn serve (setting cairn.server.pythonPath)')));
  const initialized = lines.filter((line) => line.includes('Cairn initialized for'));
  assert.equal(initialized.length, 1, initialized.join('\n'));
  // before: every record came twice, the stderr copy tagged [error] with the server's own timestamp
  assert.deepEqual(lines.filter((line) => /\[error\] \d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ (INFO|DEBUG|WARNING) /.test(line)), []);
});
