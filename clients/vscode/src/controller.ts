/**
 * Owns the server's life: finds how to launch it, starts the language client, restarts it
 * cleanly (settings that need it, trust granted, a new API key, the Restart command) and routes
 * its `cairn/stream` events. Views use it through the CairnService interface.
 */
import * as vscode from 'vscode';
import type { ChatOutput } from './chatOutput';
import type { ClientFactory, ClientLike } from './client';
import { API_KEY_SECRET, currentServerSettings, isTrusted, launchInputs, serverConfiguration, serverInitializationOptions } from './config';
import { RunActionArgs, STREAM_NOTIFICATION } from './protocol';
import { LaunchCandidate, LaunchInputs, launchCandidates, resolveLaunch } from './serverLaunch';
import type { CairnService, ServerState } from './service';
import { needsRestart } from './settingsModel';
import { CommandSender, runStreamed, StreamRouter } from './streams';

// vscode-languageclient's State enum (not imported: this module must load without the client).
const CLIENT_STATES: Record<number, ServerState> = { 1: 'stopped', 2: 'running', 3: 'starting' };
const STOP_TIMEOUT_MS = 5000;

export interface ControllerDeps {
  secrets: vscode.SecretStorage;
  log: vscode.LogOutputChannel;
  output: ChatOutput;
  createClient: ClientFactory;
  /** How launch inputs become a command; the default probes candidates (serverLaunch.ts). */
  resolve?: (inputs: LaunchInputs) => Promise<LaunchCandidate>;
}

export class Controller implements CairnService, vscode.Disposable {
  state: ServerState = 'stopped';
  readonly router: StreamRouter;
  private client: ClientLike | undefined;
  private sentSettings: Record<string, unknown> = {};
  private readonly listeners = new Set<(state: ServerState) => void>();
  private readonly watchers: vscode.Disposable[];
  private queue: Promise<void> = Promise.resolve();

  constructor(private readonly deps: ControllerDeps) {
    this.router = new StreamRouter((streamId) => deps.output.sink(`Cairn (${streamId.slice(0, 8)})`));
    this.watchers = [
      vscode.workspace.onDidChangeConfiguration((event) => this.settingsChanged(event)),
      vscode.workspace.onDidGrantWorkspaceTrust(() => void this.restart()),
      deps.secrets.onDidChange((event) => event.key === API_KEY_SECRET && void this.restart()),
    ];
  }

  readonly send: CommandSender = (command, args) => {
    const client = this.client;
    if (!client || this.state !== 'running') {
      return Promise.reject(new Error('Cairn is not running (see the Cairn output).'));
    }
    return client.sendRequest('workspace/executeCommand', { command, arguments: args === undefined ? [] : [args] });
  };

  onDidChangeState(listener: (state: ServerState) => void): vscode.Disposable {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  }

  /** Start the server (queued behind any start/stop in progress). */
  start(): Promise<void> {
    return this.enqueue(() => this.doStart());
  }

  stop(): Promise<void> {
    return this.enqueue(() => this.doStop());
  }

  restart(): Promise<void> {
    return this.enqueue(async () => {
      await this.doStop();
      await this.doStart();
    });
  }

  showLog(): void {
    this.deps.log.show(true);
  }

  dispose(): Promise<void> {
    this.watchers.forEach((watcher) => watcher.dispose());
    return this.stop();
  }

  private enqueue(step: () => Promise<void>): Promise<void> {
    this.queue = this.queue.then(step, step);
    return this.queue;
  }

  private setState(state: ServerState): void {
    if (state !== this.state) {
      this.state = state;
      this.listeners.forEach((listener) => listener(state));
    }
  }

  private async doStart(): Promise<void> {
    const { log } = this.deps;
    this.setState('starting');
    let client: ClientLike | undefined;
    try {
      const resolve = this.deps.resolve ?? ((inputs: LaunchInputs) => resolveLaunch(launchCandidates(inputs)));
      const launch = await resolve(await launchInputs());
      log.info(`Starting the server: ${[launch.command, ...launch.args].join(' ')} (${launch.source})`);
      const initializationOptions = await serverInitializationOptions(this.deps.secrets);
      this.sentSettings = initializationOptions.settings;
      client = this.deps.createClient(launch, {
        outputChannel: log,
        initializationOptions,
        configuration: serverConfiguration,
        runAction: (args, forward) => this.runAction(args, forward),
      });
      const started = client;
      client.onNotification(STREAM_NOTIFICATION, (params) => this.router.dispatch(params));
      client.onDidChangeState((event) => {
        if (this.client === started) {
          this.setState(CLIENT_STATES[event.newState] ?? 'stopped');
        }
      });
      this.client = client;
      await client.start();
      this.setState('running');
    } catch (error) {
      this.client = undefined;
      await client?.stop(STOP_TIMEOUT_MS).catch(() => undefined);
      this.setState('failed');
      const message = error instanceof Error ? error.message : String(error);
      log.error(`The server did not start: ${message}`);
      void vscode.window.showErrorMessage(`Cairn: ${message}`, 'Show Log', 'Open Settings').then((choice) => {
        if (choice === 'Show Log') {
          this.showLog();
        } else if (choice === 'Open Settings') {
          void vscode.commands.executeCommand('workbench.action.openSettings', 'cairn.server');
        }
      });
    }
  }

  private async doStop(): Promise<void> {
    const client = this.client;
    this.client = undefined;
    if (client) {
      try {
        await client.stop(STOP_TIMEOUT_MS);
      } catch (error) {
        this.deps.log.warn(`Stopping the server: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.setState('stopped');
  }

  private settingsChanged(event: vscode.ConfigurationChangeEvent): void {
    if (!event.affectsConfiguration('cairn')) {
      return;
    }
    if (event.affectsConfiguration('cairn.server') || needsRestart(this.sentSettings, currentServerSettings(), isTrusted())) {
      void this.restart();
    } else {
      void this.client?.sendNotification('workspace/didChangeConfiguration', { settings: null });
    }
  }

  /** A code action the user picked: give it a stream id and a view, then let it run. */
  private async runAction(args: RunActionArgs, forward: (args: RunActionArgs) => Promise<unknown>): Promise<unknown> {
    const send: CommandSender = (command, commandArgs) =>
      command === 'cairn.runAction' ? forward(commandArgs as RunActionArgs) : this.send(command, commandArgs);
    const title = `${args.action[0].toUpperCase()}${args.action.slice(1)} \u2014 ${vscode.Uri.parse(args.uri).path.split('/').pop()}`;
    const outcome = await runStreamed(send, this.router, 'cairn.runAction', args, this.deps.output.sink(title));
    return outcome.result;
  }
}
