import { changeEvent, FakeSecrets, state, Uri } from '../support/vscodeMock';
import { strict as assert } from 'node:assert';
import { afterEach, beforeEach, test } from 'node:test';
import { activateWith } from '../../src/activation';
import type { ClientLike, ClientOptions } from '../../src/client';
import { API_KEY_SECRET } from '../../src/config';
import type { LaunchCandidate, LaunchInputs } from '../../src/serverLaunch';

/** A language client double: records what the controller does, answers executeCommand. */
class FakeClient implements ClientLike {
  started = 0;
  stopped = 0;
  notifications: { method: string; params: unknown }[] = [];
  handlers = new Map<string, (params: unknown) => void>();
  stateListeners: ((event: { oldState: number; newState: number }) => void)[] = [];
  failStart: Error | undefined;
  answers: Record<string, unknown> = {
    'cairn.status': { model: 'openai/gpt-4.1', memory: { path: '/m', exists: true }, running: [], trusted: true },
  };
  constructor(
    readonly launch: LaunchCandidate,
    readonly options: ClientOptions,
  ) {}
  async start() {
    this.started += 1;
    if (this.failStart) {
      throw this.failStart;
    }
  }
  async stop() {
    this.stopped += 1;
  }
  async sendRequest<R>(method: string, params: unknown): Promise<R> {
    assert.equal(method, 'workspace/executeCommand');
    const { command } = params as { command: string };
    return this.answers[command] as R;
  }
  async sendNotification(method: string, params: unknown) {
    this.notifications.push({ method, params });
  }
  onNotification(method: string, handler: (params: unknown) => void) {
    this.handlers.set(method, handler);
    return { dispose: () => this.handlers.delete(method) };
  }
  onDidChangeState(listener: (event: { oldState: number; newState: number }) => void) {
    this.stateListeners.push(listener);
    return { dispose: () => undefined };
  }
}

const LAUNCH: LaunchCandidate = { command: '/venv/bin/python', args: ['-m', 'cairn', 'serve'], source: 'test' };
let clients: FakeClient[];
let secrets: FakeSecrets;
let launchInputs: LaunchInputs[];
let nextClientFails: Error | undefined;
let contexts: { subscriptions: { dispose(): unknown }[] }[] = [];

function activate(resolve?: (inputs: LaunchInputs) => Promise<LaunchCandidate>) {
  const context = { subscriptions: [] as { dispose(): unknown }[], secrets, extensionUri: Uri.file('/ext') };
  contexts.push(context);
  const controller = activateWith(
    context as never,
    (launch, options) => {
      const client = new FakeClient(launch, options);
      client.failStart = nextClientFails;
      clients.push(client);
      return client;
    },
    resolve ??
      (async (inputs) => {
        launchInputs.push(inputs);
        return LAUNCH;
      }),
  );
  return { controller, context };
}

async function settle(times = 5) {
  for (let i = 0; i < times; i++) {
    await new Promise((resolve) => setImmediate(resolve));
  }
}

// Like VS Code on deactivation: dispose everything (this also stops the status bar's timer).
afterEach(async () => {
  await Promise.all(contexts.flatMap((context) => context.subscriptions.map((item) => item.dispose())));
  contexts = [];
});

beforeEach(() => {
  state.reset();
  clients = [];
  secrets = new FakeSecrets();
  launchInputs = [];
  nextClientFails = undefined;
  state.settings.set('model', { globalValue: 'openai/gpt-4.1', workspaceValue: 'evil/model' });
  state.settings.set('logLevel', { workspaceValue: 'debug' });
  state.settings.set('server.pythonPath', { globalValue: '/user/python', workspaceValue: '/repo/evil-python' });
});

test('an untrusted workspace starts in restricted mode with user-level settings only', async () => {
  state.trusted = false;
  await secrets.store(API_KEY_SECRET, 'sk-user');
  const { controller } = activate();
  await settle();
  assert.equal(controller.state, 'running');
  assert.equal(clients.length, 1);
  assert.deepEqual(clients[0].options.initializationOptions, {
    settings: { model: 'openai/gpt-4.1', logLevel: 'debug', trusted: false, apiKey: 'sk-user' },
    streamNotifications: true,
  });
  assert.deepEqual(clients[0].options.configuration(), { logLevel: 'debug' });
  assert.equal(launchInputs[0].pythonPath, '/user/python'); // the repo's interpreter is not run
  assert.equal(launchInputs[0].pythonExtensionInterpreter, undefined);
});

test('a trusted workspace gets its own values and the Python extension is asked', async () => {
  state.extensions.set('ms-python.python', {
    isActive: true,
    exports: {
      environments: {
        getActiveEnvironmentPath: () => ({ path: '/ws/.venv' }),
        resolveEnvironment: async () => ({ executable: { uri: Uri.file('/ws/.venv/bin/python') } }),
      },
    },
  });
  activate();
  await settle();
  const init = clients[0].options.initializationOptions as { settings: Record<string, unknown> };
  assert.equal(init.settings.model, 'evil/model');
  assert.equal(init.settings.trusted, true);
  assert.equal(launchInputs[0].pythonPath, '/repo/evil-python');
  assert.equal(launchInputs[0].pythonExtensionInterpreter, '/ws/.venv/bin/python');
});

test('the status bar shows the server status; stream events reach the chat output', async () => {
  activate();
  await settle(10);
  const item = state.statusItems[0];
  assert.equal(item.text, '$(hubot) Cairn: openai/gpt-4.1 \u00b7 memory');
  assert.equal(item.command, 'cairn.palette.status');
  const notify = clients[0].handlers.get('cairn/stream')!;
  notify({ streamId: 'abcdef12-0000', kind: 'text', text: 'An answer for a code action.' });
  notify({ streamId: 'abcdef12-0000', kind: 'done', text: '' });
  assert.match(state.outputs.get('Cairn Chat')!.text, /## Cairn \(abcdef12\)\n\nAn answer for a code action\./);
});

test('a picked code action gets a stream id and a view before it is forwarded', async () => {
  activate();
  await settle();
  const forwarded: unknown[] = [];
  const args = { action: 'fix' as const, uri: 'file:///ws/mod.py', range: { start: { line: 0, character: 0 }, end: { line: 0, character: 3 } } };
  const result = await clients[0].options.runAction(args, async (sent) => {
    forwarded.push(sent);
    clients[0].handlers.get('cairn/stream')!({ streamId: sent.streamId, kind: 'text', text: 'Fixed the typo.' });
    clients[0].handlers.get('cairn/stream')!({ streamId: sent.streamId, kind: 'done', text: '' });
    return { applied: true };
  });
  assert.deepEqual(result, { applied: true });
  assert.match((forwarded[0] as { streamId: string }).streamId, /^[0-9a-f-]{36}$/);
  assert.match(state.outputs.get('Cairn Chat')!.text, /## Fix \u2014 mod.py\n\nFixed the typo\./);
});

test('granting trust and changing the API key restart the server cleanly', async () => {
  state.trusted = false;
  activate();
  await settle();
  state.trusted = true;
  state.trustGranted.fire();
  await settle();
  assert.equal(clients.length, 2);
  assert.equal(clients[0].stopped, 1);
  assert.equal((clients[1].options.initializationOptions as { settings: { trusted: boolean } }).settings.trusted, true);
  await secrets.store(API_KEY_SECRET, 'sk-new');
  await secrets.store('some.other.secret', 'x');
  await settle();
  assert.equal(clients.length, 3);
  assert.equal(clients[1].stopped, 1);
  assert.equal((clients[2].options.initializationOptions as { settings: { apiKey: string } }).settings.apiKey, 'sk-new');
});

test('setting changes: pulled when possible, restart when needed', async () => {
  activate();
  await settle();
  state.settings.set('logLevel', { workspaceValue: 'error' });
  state.configurationChanged.fire(changeEvent('cairn.logLevel'));
  state.configurationChanged.fire(changeEvent('editor.fontSize'));
  await settle();
  assert.equal(clients.length, 1);
  assert.deepEqual(clients[0].notifications, [{ method: 'workspace/didChangeConfiguration', params: { settings: null } }]);
  state.settings.set('memoryPath', { globalValue: '/elsewhere.sqlite3' });
  state.configurationChanged.fire(changeEvent('cairn.memoryPath'));
  await settle();
  assert.equal(clients.length, 2);
  state.configurationChanged.fire(changeEvent('cairn.server.pythonPath'));
  await settle();
  assert.equal(clients.length, 3);
  state.settings.delete('model'); // a removed value cannot be taken back without a restart
  state.configurationChanged.fire(changeEvent('cairn.model'));
  await settle();
  assert.equal(clients.length, 4);
  assert.equal(clients.slice(0, 3).every((client) => client.stopped === 1), true);
});

test('a server that cannot start is reported once, with a way to the log', async () => {
  const { controller } = activate(async () => {
    throw new Error('Cairn\u2019s server was not found.');
  });
  await settle(10);
  assert.equal(controller.state, 'failed');
  assert.deepEqual(state.messages.map((m) => [m.level, m.text, m.items]), [
    ['error', 'Cairn: Cairn\u2019s server was not found.', ['Show Log', 'Open Settings']],
  ]);
  assert.equal(state.statusItems[0].text, '$(error) Cairn');
  await assert.rejects(controller.send('cairn.status', {}), /not running/);
  assert.match(state.outputs.get('Cairn')!.log.join('\n'), /did not start: Cairn\u2019s server was not found/);
});

test('a client whose start fails is stopped and the state is failed', async () => {
  nextClientFails = new Error('Server initialization failed.');
  const { controller } = activate();
  await settle(10);
  assert.equal(controller.state, 'failed');
  assert.equal(clients[0].stopped, 1);
  nextClientFails = undefined;
  await controller.restart();
  assert.equal(controller.state, 'running');
});

test('a crash seen by the client updates the state; deactivation stops the server', async () => {
  const { controller, context } = activate();
  await settle();
  clients[0].stateListeners.forEach((listener) => listener({ oldState: 2, newState: 1 }));
  assert.equal(controller.state, 'stopped');
  clients[0].stateListeners.forEach((listener) => listener({ oldState: 1, newState: 2 }));
  assert.equal(controller.state, 'running');
  await Promise.all(context.subscriptions.map((item) => item.dispose()));
  assert.equal(clients[0].stopped, 1);
  assert.equal(controller.state, 'stopped');
  assert.ok(state.statusItems[0].disposed);
  assert.equal(state.commands.size, 0);
});
