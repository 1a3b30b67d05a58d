/**
 * The extension inside a real VS Code (code-server 4.x) driven by headless Chromium through
 * playwright-core, as a user would: the built .vsix installed with `--install-extension`, the
 * server started from `cairn.server.pythonPath` in the User settings (a remote window: the
 * extension host runs in code-server), a scripted OpenAI-compatible model on 127.0.0.1.
 *
 * Run by tests/e2e/clients/test_vscode_browser.py, which builds the .vsix, serves the model and
 * passes: CAIRN_VSIX, CAIRN_PYTHON, CAIRN_MODEL_BASE, CAIRN_BROWSER_ARTIFACTS, CAIRN_SLOW_RELEASE
 * (the file that lets the slow answer end), CAIRN_LOOSE_VALUE (the text of the file opened with
 * no workspace). Screenshots of every step go to CAIRN_BROWSER_ARTIFACTS. No Copilot and no chat
 * participant are involved. The tests are steps of one session, run in order.
 */
import { strict as assert } from 'node:assert';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { Browser, chromium, Frame, Page } from 'playwright-core';
import { CodeServer } from '../support/codeServer';

const ARTIFACTS = process.env.CAIRN_BROWSER_ARTIFACTS ?? join(tmpdir(), 'cairn-browser-artifacts');
const SOURCE = 'def add(a, b):\n    return a + b\n';
// typed at the end of mod.py while the slow answer is still coming
const TYPED = '# typed while Cairn was busy';
// the run that outlasts the 10 s eglot and lsp-mode wait (the scripted model's delays)
const LONG_RUN_MS = 10_000;
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
let slowStarted = 0;

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

/** The editor of `name`, opened with Quick Open as a user would. */
async function openFile(name: string, firstLine: string) {
  await page.keyboard.press('Control+P');
  const input = page.locator('.quick-input-widget input');
  await input.fill(name);
  await page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
  await input.press('Enter');
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines', { hasText: firstLine }).waitFor();
  return editor;
}

/**
 * Pick `title` from the lightbulb of the editor's first line; resolves once the run's turn
 * (titled `turnTitle`) shows in the chat view. `menu` looks at the open menu first. On a
 * loaded machine code-server sometimes re-renders the menu as the click lands and nothing is
 * picked (no turn appears at all), so the user's pick is tried again, at most three times.
 */
async function lightbulbAction(
  editor: ReturnType<Page['locator']>,
  title: string,
  turnTitle: string,
  menu?: (widget: ReturnType<Page['locator']>) => Promise<void>,
): Promise<void> {
  const chat = await chatFrame();
  const turns = chat.locator('section.turn', { hasText: turnTitle });
  const before = await turns.count();
  for (let attempt = 1; ; attempt++) {
    await editor.locator('.view-line').first().click();
    await page.keyboard.press('Home');
    // the lightbulb of the cursor's line: no diagnostics here, so Explain, Docstring, Tests
    const bulb = page.locator('.lightBulbWidget');
    await bulb.waitFor({ state: 'visible' });
    await bulb.click();
    const widget = page.locator('.action-widget');
    const row = widget.locator('.monaco-list-row', { hasText: title });
    await row.waitFor();
    if (attempt === 1) {
      await menu?.(widget);
    }
    await row.click();
    try {
      await turns.nth(before).waitFor({ timeout: 15_000 });
      return;
    } catch (error) {
      if (attempt === 3) {
        throw error;
      }
      await page.keyboard.press('Escape');
    }
  }
}

/** The last turn of the chat view whose title or prompt contains `text`. */
function turnWith(chat: Frame, text: string) {
  return chat.locator('section.turn', { hasText: text }).last();
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

browserTest('a chat longer than 10 s runs while the editor stays usable: typing lands meanwhile', async () => {
  const chat = await chatFrame();
  await chat.locator('#prompt').fill('Take your time');
  await chat.locator('#send').click();
  slowStarted = Date.now();
  const slow = turnWith(chat, 'Take your time');
  await slow.waitFor();
  assert.equal(await slow.getAttribute('data-outcome'), 'running');
  const editor = await openFile('mod.py', 'def add');
  await editor.locator('.view-line').last().click();
  await page.keyboard.press('Control+End');
  await page.keyboard.type(TYPED);
  await editor.locator('.view-lines', { hasText: TYPED }).waitFor();
  // the answer cannot end before this test releases it: all of this happened during the run
  assert.equal(await slow.getAttribute('data-outcome'), 'running');
  await screenshot('typing-during-slow-run');
});

browserTest('Explain from the lightbulb shows its answer in the chat view while the slow chat runs', async () => {
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await lightbulbAction(editor, 'Cairn: Explain this code', 'Explain \u2014 mod.py');
  const chat = await chatFrame();
  const explain = chat.locator('section.turn', { hasText: 'Explain \u2014 mod.py' }).last();
  await explain.locator('.answer', { hasText: 'It adds a and b.' }).waitFor();
  await explain.locator('.turn-state', { hasText: 'Done' }).waitFor();
  assert.equal(await turnWith(chat, 'Take your time').getAttribute('data-outcome'), 'running');
  await screenshot('explain-answer');
});

browserTest('a code action from the lightbulb proposes an edit that lands once accepted', async () => {
  const editor = await openFile('mod.py', 'def add');
  await lightbulbAction(editor, 'Cairn: Add docstring', 'Docstring \u2014 mod.py', async (menu) => {
    // "Write tests" is in the lightbulb's menu too, not only under Source Action
    assert.equal(await menu.locator('.monaco-list-row', { hasText: 'Cairn: Write tests' }).count(), 1);
    await screenshot('code-actions');
  });
  const chat = await chatFrame();
  const card = chat.locator('.edit').last();
  await card.locator('.edit-state', { hasText: 'Waiting for you' }).waitFor();
  assert.match((await card.locator('.edit-files').textContent()) ?? '', /mod\.py\s*\+1\s*\u22120/);
  assert.doesNotMatch(await editor.locator('.view-lines').textContent() ?? '', /Add a and b/); // not before accepting
  await screenshot('edit-proposed');
  await card.getByRole('button', { name: 'Accept' }).click();
  await card.locator('.edit-state', { hasText: 'Applied' }).waitFor();
  await editor.locator('.view-lines', { hasText: 'Add a and b.' }).waitFor();
  await chat.locator('section.turn', { hasText: 'Docstring \u2014 mod.py' }).last().locator('.turn-state', { hasText: 'Done' }).waitFor();
  assert.equal(await page.locator('.tab.active.dirty', { hasText: 'mod.py' }).count(), 1); // applied, not yet saved
  await command('File: Save');
  await page.locator('.tab.active:not(.dirty)', { hasText: 'mod.py' }).waitFor();
  // code-server writes through its own process: wait for the file to be complete on disk
  const expected = 'def add(a, b):\n    """Add a and b."""\n    return a + b\n' + TYPED;
  let saved = '';
  for (let attempt = 0; attempt < 100 && saved !== expected; attempt++) {
    await page.waitForTimeout(100);
    saved = readFileSync(join(workspace, 'mod.py'), 'utf8');
  }
  assert.equal(saved, expected);
  await screenshot('edit-applied');
});

browserTest('the slow chat ends after more than 10 s with its whole answer and no timeout', async () => {
  const chat = await chatFrame();
  const slow = turnWith(chat, 'Take your time');
  assert.equal(await slow.getAttribute('data-outcome'), 'running'); // it outlived everything above
  writeFileSync(required('CAIRN_SLOW_RELEASE'), 'go');
  await slow.locator('.answer', { hasText: 'Slow and steady.' }).waitFor();
  await slow.locator('.turn-state', { hasText: 'Done' }).waitFor();
  assert.ok(Date.now() - slowStarted > LONG_RUN_MS, 'the scripted model makes the run last over 10 s');
  assert.equal(await slow.locator('.error').count(), 0);
  assert.equal(await page.locator('.notification-toast', { hasText: /time(d)? ?out/i }).count(), 0);
  await screenshot('slow-run-done');
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

browserTest('a dismissed approval declines the command, the run finishes and the next chat is answered', async () => {
  const chat = await chatFrame();
  await chat.locator('#prompt').fill('Clean the build');
  await chat.locator('#send').click();
  const toast = page.locator('.notification-toast', { hasText: 'Cairn wants to run `touch cleaned.txt`' });
  await toast.waitFor();
  assert.equal(await toast.getByRole('button', { name: 'Run', exact: true }).count(), 1);
  await screenshot('approval-asked');
  // the user closes the prompt without choosing (its X), as one does with a notification
  await toast.hover();
  await toast.getByRole('button', { name: 'Clear Notification' }).click();
  await toast.waitFor({ state: 'hidden' });
  const turn = turnWith(chat, 'Clean the build');
  await turn.locator('.answer', { hasText: 'I did not run it.' }).waitFor();
  await turn.locator('.turn-state', { hasText: 'Done' }).waitFor();
  assert.equal(existsSync(join(workspace, 'cleaned.txt')), false);
  await chat.locator('#prompt').fill('Say hello again');
  await chat.locator('#send').click();
  const next = turnWith(chat, 'Say hello again');
  await next.locator('.answer', { hasText: 'Hello, world.' }).waitFor();
  await next.locator('.turn-state', { hasText: 'Done' }).waitFor();
  await screenshot('approval-dismissed');
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

browserTest('a file opened in a window with no folder gets a workspace and tools', async () => {
  const loose = join(home, 'loose');
  mkdirSync(loose);
  writeFileSync(join(loose, 'loose.py'), required('CAIRN_LOOSE_VALUE'));
  // An empty window (code-server's ew=true: no workspace folder, so rootUri is null) opened on one
  // file, the way VS Code for the web opens a file it is given (`code-server loose.py`, a link):
  // the workbench's payload [["openFile", uri]]. The File > Open File dialog was the first way
  // tried; on a loaded CI machine it overwrote the typed path with the home folder, every run.
  const url = new URL(codeServer.url);
  const file = `vscode-remote://${url.host}${join(loose, 'loose.py')}`;
  url.search = `?ew=true&payload=${encodeURIComponent(JSON.stringify([['openFile', file]]))}`;
  await page.goto(url.toString());
  const editor = page.locator('.editor-instance .monaco-editor').first();
  await editor.locator('.view-lines', { hasText: 'VALUE = 7' }).waitFor({ timeout: 120_000 });
  assert.equal(await page.locator('.explorer-folders-view').count(), 0, 'the window has no folder');
  await command('Cairn: Focus on Chat View');
  const chat = await chatFrame();
  await chat.locator('#server-state').waitFor({ state: 'hidden' });
  await chat.locator('#prompt').fill('What is VALUE?');
  await chat.locator('#send').click();
  const turn = turnWith(chat, 'What is VALUE?');
  await turn.locator('.answer', { hasText: 'VALUE is seven.' }).waitFor();
  await turn.locator('.turn-state', { hasText: 'Done' }).waitFor();
  assert.match((await turn.textContent()) ?? '', /read_file/);
  await page.locator('.statusbar-item', { hasText: /Cairn: openai\/scripted-model \u00b7 memory/ }).waitFor();
  await screenshot('no-workspace-tools');
});
