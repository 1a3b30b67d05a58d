/**
 * A real LSP client for end-to-end tests: vscode-languageserver-protocol (the library under
 * vscode-languageclient) talking to a real `cairn serve` process over stdio, declaring the
 * capabilities VS Code declares, and using the extension's own modules for what the extension
 * decides: how to launch the server (serverLaunch.ts), which settings to send and how to answer
 * `workspace/configuration` (settingsModel.ts), and how stream events are routed (streams.ts).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import {
  ApplyWorkspaceEditParams,
  ClientCapabilities,
  createProtocolConnection,
  ProtocolConnection,
  StreamMessageReader,
  StreamMessageWriter,
  WorkspaceEdit,
} from 'vscode-languageserver-protocol/node';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { CommandArgsById, CommandId, STREAM_NOTIFICATION } from '../../src/protocol';
import { launchCandidates, resolveLaunch } from '../../src/serverLaunch';
import { configurationSection, initializationOptions, SettingLayers } from '../../src/settingsModel';
import { StreamRouter } from '../../src/streams';
import { cairnPython, REPO_ROOT } from './server';

/** What VS Code 1.9x declares for the features Cairn uses (from vscode-languageclient 11). */
export const VSCODE_CAPABILITIES: ClientCapabilities = {
  workspace: {
    applyEdit: true,
    workspaceEdit: {
      documentChanges: true,
      resourceOperations: ['create', 'rename', 'delete'],
      failureHandling: 'textOnlyTransactional',
      normalizesLineEndings: true,
      changeAnnotationSupport: { groupsOnLabel: true },
    },
    configuration: true,
    didChangeConfiguration: { dynamicRegistration: true },
    didChangeWatchedFiles: { dynamicRegistration: true, relativePatternSupport: true },
    executeCommand: { dynamicRegistration: true },
    workspaceFolders: true,
    fileOperations: { dynamicRegistration: true, didRename: true, didDelete: true, didCreate: true },
  },
  textDocument: {
    synchronization: { dynamicRegistration: true, willSave: true, willSaveWaitUntil: true, didSave: true },
    codeAction: {
      dynamicRegistration: true,
      isPreferredSupport: true,
      disabledSupport: true,
      dataSupport: true,
      resolveSupport: { properties: ['edit'] }, // VS Code resolves edits lazily, never commands
      codeActionLiteralSupport: {
        codeActionKind: {
          valueSet: ['', 'quickfix', 'refactor', 'refactor.extract', 'refactor.inline', 'refactor.rewrite', 'source', 'source.organizeImports'],
        },
      },
      honorsChangeAnnotations: true,
    },
  },
  window: {
    workDoneProgress: true,
    showMessage: { messageActionItem: { additionalPropertiesSupport: true } },
    showDocument: { support: true },
  },
  general: { positionEncodings: ['utf-16'] },
};

/**
 * Environment that makes the server answer through its scripted model (the same litellm path
 * as a real model; see server/agent/testing.py): a request whose latest user message contains
 * one of `turnsByKeyword`'s keys plays that key's turns (tests/e2e/clients/model_script.py).
 * Every model request is recorded; `requests()` reads them back.
 */
export function scriptedModel(turnsByKeyword: Record<string, unknown[]>): { env: Record<string, string>; requests: () => any[] } {
  const dir = mkdtempSync(join(tmpdir(), 'cairn-script-'));
  const turns = join(dir, 'turns.json');
  const record = join(dir, 'requests.jsonl');
  writeFileSync(turns, JSON.stringify(turnsByKeyword));
  return {
    env: {
      CAIRN_MODEL: 'scripted/client-e2e',
      CAIRN_SCRIPT: 'tests.e2e.clients.model_script:by_prompt',
      CAIRN_CLIENT_TURNS: turns,
      CAIRN_SCRIPT_RECORD: record,
      CAIRN_NO_WARMUP: '1',
      PYTHONPATH: REPO_ROOT,
    },
    requests: () => {
      try {
        return readFileSync(record, 'utf8').split('\n').filter(Boolean).map((line) => JSON.parse(line));
      } catch {
        return [];
      }
    },
  };
}

export interface StartOptions {
  /** The workspace folder (a temp dir when absent). */
  root?: string;
  trusted: boolean;
  /** VS Code setting layers per key, as `inspect()` would return them. */
  settings?: Record<string, SettingLayers>;
  apiKey?: string;
  env?: Record<string, string>;
}

export interface ProgressEvent {
  token: string | number;
  kind: string;
  title?: string;
  message?: string;
  percentage?: number;
}

export class TestClient {
  readonly router = new StreamRouter();
  readonly progress: ProgressEvent[] = [];
  readonly createdTokens: (string | number)[] = [];
  readonly appliedEdits: ApplyWorkspaceEditParams[] = [];
  readonly logs: string[] = [];
  readonly shownMessages: string[] = [];
  readonly configurationRequests: unknown[] = [];
  readonly documents = new Map<string, TextDocument>();
  stderr = '';
  /** `executeCommandProvider.commands` from the initialize result. */
  advertisedCommands: string[] = [];
  /** How `workspace/applyEdit` is answered (VS Code applies unless the user refuses). */
  acceptEdits = true;
  private exited: Promise<number | null>;

  private constructor(
    readonly process: ChildProcess,
    readonly connection: ProtocolConnection,
    readonly root: string,
    readonly options: StartOptions,
  ) {
    this.exited = new Promise((resolve) => process.once('exit', (code) => resolve(code)));
    process.stderr?.on('data', (chunk) => (this.stderr += chunk));
  }

  /** Start `cairn serve` the way the extension would, and initialize it like VS Code. */
  static async start(options: StartOptions): Promise<TestClient> {
    const root = options.root ?? mkdtempSync(join(tmpdir(), 'cairn-ws-'));
    const launch = await resolveLaunch(launchCandidates({ pythonPath: cairnPython() }));
    const child = spawn(launch.command, launch.args, {
      cwd: root,
      env: { ...process.env, CAIRN_DATA_DIR: mkdtempSync(join(tmpdir(), 'cairn-data-')), ...options.env },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    const connection = createProtocolConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const client = new TestClient(child, connection, root, options);
    client.listen();
    connection.listen();
    const inspect = (key: string) => options.settings?.[key];
    const result: any = await connection.sendRequest('initialize', {
      processId: process.pid,
      clientInfo: { name: 'Visual Studio Code (node e2e)', version: '1.91.0' },
      rootUri: pathToFileURL(root).href,
      workspaceFolders: [{ uri: pathToFileURL(root).href, name: 'ws' }],
      capabilities: VSCODE_CAPABILITIES,
      initializationOptions: initializationOptions(inspect, options.trusted, options.apiKey),
    });
    client.advertisedCommands = result?.capabilities?.executeCommandProvider?.commands ?? [];
    await connection.sendNotification('initialized', {});
    return client;
  }

  private listen(): void {
    const { connection, options } = this;
    connection.onNotification(STREAM_NOTIFICATION, (params) => this.router.dispatch(params));
    connection.onRequest('workspace/configuration', (params: { items: { section?: string }[] }) => {
      this.configurationRequests.push(params);
      const inspect = (key: string) => options.settings?.[key];
      return params.items.map((item) => (item.section === 'cairn' ? configurationSection(inspect, options.trusted) : null));
    });
    connection.onRequest('window/workDoneProgress/create', (params: { token: string | number }) => {
      this.createdTokens.push(params.token);
      return null;
    });
    connection.onNotification('$/progress', (params: { token: string | number; value: Omit<ProgressEvent, 'token'> }) => {
      this.progress.push({ token: params.token, ...params.value });
    });
    connection.onRequest('workspace/applyEdit', (params: ApplyWorkspaceEditParams): { applied: boolean; failureReason?: string } => {
      this.appliedEdits.push(params);
      if (!this.acceptEdits) {
        return { applied: false, failureReason: 'the user declined' };
      }
      this.applyToDocuments(params.edit);
      return { applied: true };
    });
    connection.onRequest('client/registerCapability', () => null);
    connection.onRequest('window/showDocument', () => ({ success: true }));
    connection.onNotification('window/logMessage', (params: { message: string }) => void this.logs.push(params.message));
    connection.onNotification('window/showMessage', (params: { message: string }) => void this.shownMessages.push(params.message));
  }

  /** Apply a workspace edit to the open documents, as the editor would. */
  private applyToDocuments(edit: WorkspaceEdit): void {
    const perDocument: [string, { range: any; newText: string }[]][] = [];
    for (const change of edit.documentChanges ?? []) {
      if ('textDocument' in change) {
        perDocument.push([change.textDocument.uri, change.edits.filter((edit) => 'newText' in edit)]);
      }
    }
    for (const [uri, edits] of Object.entries(edit.changes ?? {})) {
      perDocument.push([uri, edits]);
    }
    for (const [uri, edits] of perDocument) {
      const document = this.documents.get(uri);
      if (document) {
        const text = TextDocument.applyEdits(document, edits);
        const next = TextDocument.create(uri, document.languageId, document.version + 1, text);
        this.documents.set(uri, next);
        void this.connection.sendNotification('textDocument/didChange', {
          textDocument: { uri, version: next.version },
          contentChanges: [{ text }],
        });
      }
    }
  }

  /** didOpen a document with `text`; returns its URI. */
  async open(relativePath: string, text: string, languageId = 'python'): Promise<string> {
    const uri = pathToFileURL(join(this.root, relativePath)).href;
    this.documents.set(uri, TextDocument.create(uri, languageId, 1, text));
    await this.connection.sendNotification('textDocument/didOpen', { textDocument: { uri, languageId, version: 1, text } });
    return uri;
  }

  /** `workspace/executeCommand` with the command's one argument object. */
  execute<K extends CommandId>(command: K, args?: CommandArgsById[K]): Promise<any> {
    return this.connection.sendRequest('workspace/executeCommand', { command, arguments: args === undefined ? [] : [args] });
  }

  /** The sender the extension's runStreamed expects. */
  readonly send = <K extends CommandId>(command: K, args?: CommandArgsById[K]) => this.execute(command, args);

  /** shutdown + exit as VS Code does on stop; resolves with the exit code and how long it took. */
  async stop(): Promise<{ code: number | null; ms: number }> {
    const started = Date.now();
    await this.connection.sendRequest('shutdown');
    await this.connection.sendNotification('exit');
    const code = await this.exited;
    this.connection.dispose();
    return { code, ms: Date.now() - started };
  }

  /** Kill the process if a test failed before stopping it. */
  kill(): void {
    if (this.process.exitCode === null) {
      this.process.kill('SIGKILL');
    }
    this.connection.dispose();
  }
}
