/**
 * Owns the server's life: finds how to launch it, starts the language client, restarts it
 * cleanly (settings that need it, trust granted, a new API key, the Restart command) and routes
 * its `cairn/stream` events. Views use it through the CairnService interface.
 */
import * as vscode from 'vscode';
import type { ChatRuns } from './chatRuns';
import type { ClientFactory, ClientLike, ClientOptions } from './client';
import { API_KEY_SECRET, currentServerSettings, isTrusted, launchInputs, serverConfiguration, serverInitializationOptions } from './config';
import { RunActionArgs, STREAM_NOTIFICATION } from './protocol';
import { LaunchCandidate, LaunchInputs, launchCandidates, resolveLaunch } from './serverLaunch';
import type { CairnService, ServerState } from './service';
import { StderrTail } from './serverStderr';
import { needsRestart } from './settingsModel';
import { CommandSender, StreamRouter } from './streams';

// vscode-languageclient's State enum (not imported: this module must load without the client).
const CLIENT_STATES: Record<number, ServerState> = { 1: 'stopped', 2: 'running', 3: 'starting' };
const STOP_TIMEOUT_MS = 5000;

export interface ControllerDeps {
  secrets: vscode.SecretStorage;
  log: vscode.LogOutputChannel;
  /** Where runs are shown (the chat view) and cancelled. */
  runs: ChatRuns;
  /** The review of edits the server sends (absent: VS Code applies them as sent). */
  applyEdit?: ClientOptions['applyEdit'];
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
  private readonly stderr = new StderrTail();

  constructor(private readonly deps: ControllerDeps) {
    this.router = new StreamRouter((streamId) => deps.runs.orphan(streamId));
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
    this.stderr.take();
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
        applyEdit: this.deps.applyEdit,
        stderr: (line) => this.stderr.push(line),
      });
      const started = client;
      client.onNotification(STREAM_NOTIFICATION, (params) => this.router.dispatch(params));
      client.onDidChangeState((event) => {
        if (this.client === started) {
          const state = CLIENT_STATES[event.newState] ?? 'stopped';
          if (state === 'stopped') {
            this.showStderr('The server stopped.');
          }
          this.setState(state);
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
      this.showStderr('The server did not start.');
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
    this.client = undefined; // its state changes are no longer ours: stopping is not a crash
    if (client) {
      try {
        await client.stop(STOP_TIMEOUT_MS);
      } catch (error) {
        this.deps.log.warn(`Stopping the server: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    this.setState('stopped');
  }

  /** Put the server's last stderr lines in the log: nothing else recorded why it failed. */
  private showStderr(why: string): void {
    const lines = this.stderr.take();
    if (lines.length > 0) {
      this.deps.log.error(`${why} Its last lines on stderr:\n${lines.join('\n')}`);
    }
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

  /** A code action the user picked: shown in the chat view, cancellable from a notification. */
  private async runAction(args: RunActionArgs, forward: (args: RunActionArgs) => Promise<unknown>): Promise<unknown> {
    const send: CommandSender = (command, commandArgs) =>
      command === 'cairn.runAction' ? forward(commandArgs as RunActionArgs) : this.send(command, commandArgs);
    const title = `${args.action[0].toUpperCase()}${args.action.slice(1)} \u2014 ${vscode.Uri.parse(args.uri).path.split('/').pop()}`;
    const outcome = await this.deps.runs.withNotification({ send, router: this.router, command: 'cairn.runAction', args, title });
    return outcome.result;
  }
}
