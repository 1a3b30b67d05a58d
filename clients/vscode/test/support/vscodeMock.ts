/**
 * A recording stand-in for the `vscode` module, installed before the extension's modules load
 * (import this file first). It implements the API surface the extension uses, records what the
 * extension did (registered commands, messages, output, status bar text) and lets a test queue
 * the user's answers (input boxes, quick picks, message buttons).
 */
import Module = require('node:module');
import * as path from 'node:path';

type Listener<T> = (value: T) => unknown;

export class Emitter<T> {
  private listeners = new Set<Listener<T>>();
  readonly event = (listener: Listener<T>) => {
    this.listeners.add(listener);
    return { dispose: () => this.listeners.delete(listener) };
  };
  fire(value: T): void {
    [...this.listeners].forEach((listener) => listener(value));
  }
  dispose(): void {
    this.listeners.clear();
  }
}

/** vscode.CancellationTokenSource. */
export class CancellationTokenSource {
  private readonly cancelled = new Emitter<void>();
  readonly token = {
    isCancellationRequested: false,
    onCancellationRequested: this.cancelled.event,
  };
  cancel(): void {
    if (!this.token.isCancellationRequested) {
      this.token.isCancellationRequested = true;
      this.cancelled.fire();
    }
  }
  dispose(): void {
    this.cancelled.dispose();
  }
}

/** One `window.withProgress` call: its options, what it reported, and its Cancel button. */
export interface ProgressRecord {
  options: { location: unknown; title?: string; cancellable?: boolean };
  messages: string[];
  done: boolean;
  cancel(): void;
}

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly path: string,
    readonly authority = '',
  ) {}
  static from(parts: { scheme: string; path: string; authority?: string }): Uri {
    return new Uri(parts.scheme, parts.path, parts.authority);
  }
  static file(fsPath: string): Uri {
    return new Uri('file', path.resolve(fsPath));
  }
  static parse(value: string): Uri {
    const match = /^([a-z][\w+.-]*):(?:\/\/([^/]*))?(.*)$/i.exec(value);
    return match ? new Uri(match[1], decodeURIComponent(match[3]), match[2]) : new Uri('file', value);
  }
  static joinPath(base: Uri, ...segments: string[]): Uri {
    return new Uri(base.scheme, path.posix.join(base.path, ...segments), base.authority);
  }
  get fsPath(): string {
    return this.path;
  }
  toString(): string {
    return `${this.scheme}://${this.authority}${encodeURI(this.path)}`;
  }
}

export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}

export class Range {
  constructor(
    readonly start: Position,
    readonly end: Position,
  ) {}
  get isEmpty(): boolean {
    return this.start.line === this.end.line && this.start.character === this.end.character;
  }
}

export class Selection extends Range {
  get active(): Position {
    return this.end;
  }
}

export class Location {
  constructor(
    readonly uri: Uri,
    readonly range: Range,
  ) {}
}

export interface Layers {
  globalValue?: unknown;
  workspaceValue?: unknown;
  workspaceFolderValue?: unknown;
}

/** Everything a test can set up and inspect; `reset()` between tests. */
export class State {
  settings = new Map<string, Layers>(); // key without the "cairn." prefix
  trusted = true;
  workspaceFolders: { uri: Uri; name: string; index: number }[] | undefined = undefined;
  commands = new Map<string, (...args: unknown[]) => unknown>();
  executed: { command: string; args: unknown[] }[] = [];
  messages: { level: 'info' | 'warning' | 'error'; text: string; items: unknown[] }[] = [];
  messageAnswers: (string | undefined)[] = [];
  inputAnswers: (string | undefined)[] = [];
  inputOptions: Record<string, unknown>[] = [];
  quickPickAnswers: ((items: unknown[]) => unknown)[] = [];
  quickPickItems: unknown[][] = [];
  outputs = new Map<string, { text: string; shown: number; disposed: boolean; log: string[] }>();
  statusItems: { id: string; text: string; tooltip: unknown; command: unknown; shown: boolean; disposed: boolean }[] = [];
  openedDocuments: { language?: string; content?: string; uri?: Uri }[] = [];
  /** Text of file documents by URI string (openTextDocument's getText). */
  documentTexts = new Map<string, string>();
  contentProviders = new Map<string, { provideTextDocumentContent(uri: Uri): string }>();
  progress: ProgressRecord[] = [];
  webviewProviders = new Map<string, unknown>();
  openedExternal: string[] = [];
  activeTextEditor: unknown = undefined;
  extensions = new Map<string, unknown>();
  participants: { id: string; handler: unknown; iconPath?: unknown; disposed: boolean }[] = [];
  chatAvailable = true;
  readonly configurationChanged = new Emitter<{ affectsConfiguration(section: string): boolean }>();
  readonly trustGranted = new Emitter<void>();
  readonly documentOpened = new Emitter<{ uri: Uri }>();

  reset(): void {
    Object.assign(this, new State());
  }
}

export const state = new State();

function output(name: string) {
  const record = { text: '', shown: 0, disposed: false, log: [] as string[] };
  state.outputs.set(name, record);
  const logAt = (level: string) => (message: string) => record.log.push(`${level} ${message}`);
  return {
    name,
    append: (text: string) => void (record.text += text),
    appendLine: (text: string) => void (record.text += text + '\n'),
    show: () => void (record.shown += 1),
    hide: () => undefined,
    clear: () => void (record.text = ''),
    dispose: () => void (record.disposed = true),
    trace: logAt('trace'),
    debug: logAt('debug'),
    info: logAt('info'),
    warn: logAt('warn'),
    error: logAt('error'),
  };
}

function message(level: 'info' | 'warning' | 'error') {
  return (text: string, ...items: unknown[]) => {
    state.messages.push({ level, text, items });
    return Promise.resolve(state.messageAnswers.shift());
  };
}

/** Make a configuration change event for `keys` (full keys, e.g. "cairn.model"). */
export function changeEvent(...keys: string[]) {
  return { affectsConfiguration: (section: string) => keys.some((key) => key === section || key.startsWith(section + '.')) };
}

/** A text editor over `lines` with a selection. */
export function editor(uri: Uri, lines: string[], selection: Selection) {
  return {
    selection,
    document: {
      uri,
      lineAt: (line: number) => ({ range: new Range(new Position(line, 0), new Position(line, lines[line]?.length ?? 0)) }),
    },
  };
}

export const vscode = {
  Uri,
  Position,
  Range,
  Selection,
  Location,
  EventEmitter: Emitter,
  StatusBarAlignment: { Left: 1, Right: 2 },
  ProgressLocation: { SourceControl: 1, Window: 10, Notification: 15 },
  CancellationTokenSource,
  window: {
    createOutputChannel: (name: string) => output(name),
    createStatusBarItem: (id: string) => {
      const item = { id, text: '', tooltip: undefined as unknown, command: undefined as unknown, name: '', shown: false, disposed: false };
      state.statusItems.push(item);
      return Object.assign(item, {
        show: () => void (item.shown = true),
        hide: () => void (item.shown = false),
        dispose: () => void (item.disposed = true),
      });
    },
    showInformationMessage: message('info'),
    showWarningMessage: message('warning'),
    showErrorMessage: message('error'),
    showInputBox: (options: Record<string, unknown>) => {
      state.inputOptions.push(options);
      return Promise.resolve(state.inputAnswers.shift());
    },
    showQuickPick: (items: unknown[]) => {
      state.quickPickItems.push(items);
      const choose = state.quickPickAnswers.shift();
      return Promise.resolve(choose ? choose(items) : undefined);
    },
    showTextDocument: (document: unknown) => Promise.resolve({ document }),
    withProgress: <R>(
      options: ProgressRecord['options'],
      task: (progress: { report(value: { message?: string }): void }, token: CancellationTokenSource['token']) => Thenable<R>,
    ) => {
      const source = new CancellationTokenSource();
      const record: ProgressRecord = { options, messages: [], done: false, cancel: () => source.cancel() };
      state.progress.push(record);
      const progress = { report: (value: { message?: string }) => void (value.message && record.messages.push(value.message)) };
      return Promise.resolve(task(progress, source.token)).finally(() => (record.done = true));
    },
    registerWebviewViewProvider: (id: string, provider: unknown) => {
      state.webviewProviders.set(id, provider);
      return { dispose: () => state.webviewProviders.delete(id) };
    },
    get activeTextEditor() {
      return state.activeTextEditor;
    },
  },
  workspace: {
    getConfiguration: (section: string) => ({
      inspect: (key: string) => {
        const layers = state.settings.get(section === 'cairn' ? key : `${section}.${key}`);
        return layers ? { key: `${section}.${key}`, ...layers } : { key: `${section}.${key}` };
      },
      get: (key: string) => {
        const layers = state.settings.get(key);
        return layers?.workspaceFolderValue ?? layers?.workspaceValue ?? layers?.globalValue;
      },
    }),
    get isTrusted() {
      return state.trusted;
    },
    get workspaceFolders() {
      return state.workspaceFolders;
    },
    onDidChangeConfiguration: (listener: Listener<{ affectsConfiguration(section: string): boolean }>) =>
      state.configurationChanged.event(listener),
    onDidGrantWorkspaceTrust: (listener: Listener<void>) => state.trustGranted.event(listener),
    onDidOpenTextDocument: (listener: Listener<{ uri: Uri }>) => state.documentOpened.event(listener),
    openTextDocument: (options: { language?: string; content?: string } | Uri) => {
      let record: { language?: string; content?: string; uri?: Uri; getText?: () => string } = options as never;
      if (options instanceof Uri) {
        const provider = state.contentProviders.get(options.scheme);
        const content = provider ? provider.provideTextDocumentContent(options) : state.documentTexts.get(options.toString());
        record = { uri: options, content, getText: () => content ?? '' };
      }
      state.openedDocuments.push(record);
      return Promise.resolve(record);
    },
    registerTextDocumentContentProvider: (scheme: string, provider: { provideTextDocumentContent(uri: Uri): string }) => {
      state.contentProviders.set(scheme, provider);
      return { dispose: () => state.contentProviders.delete(scheme) };
    },
    asRelativePath: (uri: Uri) => {
      const root = state.workspaceFolders?.[0]?.uri.path;
      return root && uri.path.startsWith(root + '/') ? uri.path.slice(root.length + 1) : uri.path;
    },
  },
  commands: {
    registerCommand: (id: string, handler: (...args: unknown[]) => unknown) => {
      if (state.commands.has(id)) {
        throw new Error(`command ${id} already registered`);
      }
      state.commands.set(id, handler);
      return { dispose: () => state.commands.delete(id) };
    },
    executeCommand: (command: string, ...args: unknown[]) => {
      state.executed.push({ command, args });
      const handler = state.commands.get(command);
      return Promise.resolve(handler ? handler(...args) : undefined);
    },
  },
  extensions: {
    getExtension: (id: string) => state.extensions.get(id),
  },
  env: {
    openExternal: (uri: Uri) => {
      state.openedExternal.push(uri.toString());
      return Promise.resolve(true);
    },
  },
  get chat() {
    return state.chatAvailable
      ? {
          createChatParticipant: (id: string, handler: unknown) => {
            const participant = { id, handler, iconPath: undefined as unknown, disposed: false };
            state.participants.push(participant);
            return Object.assign(participant, { dispose: () => void (participant.disposed = true) });
          },
        }
      : undefined;
  },
};

/** A fake SecretStorage with the change event VS Code fires. */
export class FakeSecrets {
  readonly values = new Map<string, string>();
  private readonly changed = new Emitter<{ key: string }>();
  readonly onDidChange = this.changed.event;
  get(key: string) {
    return Promise.resolve(this.values.get(key));
  }
  store(key: string, value: string) {
    this.values.set(key, value);
    this.changed.fire({ key });
    return Promise.resolve();
  }
  delete(key: string) {
    this.values.delete(key);
    this.changed.fire({ key });
    return Promise.resolve();
  }
}

// Install: `require('vscode')` anywhere now returns the mock.
const loader = Module as unknown as { _resolveFilename: (request: string, ...rest: unknown[]) => string };
const resolve = loader._resolveFilename;
loader._resolveFilename = function (request: string, ...rest: unknown[]) {
  return request === 'vscode' ? 'vscode' : resolve.call(this, request, ...rest);
};
require.cache.vscode = { id: 'vscode', filename: 'vscode', loaded: true, exports: vscode } as unknown as NodeJS.Module;
