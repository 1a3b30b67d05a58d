/**
 * The contract with the Cairn server: command ids, their argument objects and the
 * `cairn/stream` notification. A mirror of server/commands.py; tests/e2e/clients/test_protocol_sync.py
 * fails when the two drift apart.
 *
 * Every command takes at most one argument, a camelCase JSON object; the server rejects
 * unknown keys with -32602, so these interfaces list exactly the keys it accepts.
 */

/** Custom notification carrying streamed output from server to client. */
export const STREAM_NOTIFICATION = 'cairn/stream';

/**
 * The `initializationOptions` key that opts in to `cairn/stream`. Without it the server sends
 * no custom notification and shows outcomes with `window/showDocument` / `window/showMessage`.
 */
export const STREAM_OPT_IN = 'streamNotifications';

export interface Position {
  line: number;
  character: number;
}

export interface Range {
  start: Position;
  end: Position;
}

/**
 * Shared by the commands that start a run (answered at once with `RunStarted`); the id becomes
 * the run's id, so the client that picks it can route `cairn/stream` events before the answer.
 */
export interface Streamed {
  streamId?: string;
}

export interface ChatArgs extends Streamed {
  prompt: string;
  uri?: string;
  range?: Range;
  sessionId?: string;
}

/** The code actions of server/action_specs.py's table, in its order. */
export type ActionName = 'fix' | 'explain' | 'refactor' | 'docstring' | 'tests';

/** The subset of an LSP diagnostic the fix action needs (extra keys are ignored). */
export interface Diagnostic {
  range: Range;
  message: string;
  severity?: number | null;
  source?: string | null;
  code?: number | string | null;
}

export interface RunActionArgs extends Streamed {
  action: ActionName;
  uri: string;
  range: Range;
  diagnostics?: Diagnostic[];
  instructions?: string;
}

/** Cancel one stream's work, or everything running when no id is given. */
export interface CancelArgs {
  streamId?: string;
}

/** The outcome of one run (running or finished), or of the latest run when no id is given. */
export interface ResultArgs {
  runId?: string;
}

export interface MemorySearchArgs {
  query: string;
  limit?: number;
}

export interface MemoryForgetArgs {
  id: number;
}

export interface SkillOpenArgs {
  name: string;
}

/** Evaluate a SKILL.md (its open text) on a task set against another skill or none. */
export interface SkillEvalArgs {
  uri: string;
  tasks: string;
  against?: string;
  limit?: number;
  seed?: number;
  evalId?: string;
}

/** The state or report of one skill evaluation, or of the latest when no id is given. */
export interface SkillEvalResultArgs {
  evalId?: string;
}

export type NoArgs = Record<string, never>;

/** Argument type of every command, keyed by id. */
export interface CommandArgsById {
  'cairn.status': NoArgs;
  'cairn.chat': ChatArgs;
  'cairn.runAction': RunActionArgs;
  'cairn.cancel': CancelArgs;
  'cairn.result': ResultArgs;
  'cairn.newSession': NoArgs;
  'cairn.memory.consolidate': NoArgs;
  'cairn.memory.show': NoArgs;
  'cairn.memory.search': MemorySearchArgs;
  'cairn.memory.forget': MemoryForgetArgs;
  'cairn.skills.list': NoArgs;
  'cairn.skills.open': SkillOpenArgs;
  'cairn.skills.eval': SkillEvalArgs;
  'cairn.skills.evalResult': SkillEvalResultArgs;
}

export type CommandId = keyof CommandArgsById;

/** Every server command, in the order of server/commands.py's ALL_COMMANDS, with its title. */
export const COMMANDS: ReadonlyArray<{ id: CommandId; title: string }> = [
  { id: 'cairn.status', title: 'Cairn: Show Status' },
  { id: 'cairn.chat', title: 'Cairn: Chat' },
  { id: 'cairn.runAction', title: 'Cairn: Run Action' },
  { id: 'cairn.cancel', title: 'Cairn: Cancel' },
  { id: 'cairn.result', title: 'Cairn: Show Result' },
  { id: 'cairn.newSession', title: 'Cairn: New Session' },
  { id: 'cairn.memory.consolidate', title: 'Cairn: Consolidate Memory' },
  { id: 'cairn.memory.show', title: 'Cairn: Show Memory' },
  { id: 'cairn.memory.search', title: 'Cairn: Search Memory' },
  { id: 'cairn.memory.forget', title: 'Cairn: Forget' },
  { id: 'cairn.skills.list', title: 'Cairn: List Skills' },
  { id: 'cairn.skills.open', title: 'Cairn: Open Skill' },
  { id: 'cairn.skills.eval', title: 'Cairn: Evaluate Skill' },
  { id: 'cairn.skills.evalResult', title: 'Cairn: Show Skill Evaluation' },
];

/** What `cairn.chat` / `cairn.runAction` answer at once: the run goes on in the background. */
export interface RunStarted {
  runId: string;
  streamId: string;
  sessionId: string;
  status: 'started';
}

/** Commands whose output arrives as `cairn/stream` events (their args extend Streamed). */
export const STREAMED_COMMANDS: ReadonlySet<CommandId> = new Set<CommandId>(['cairn.chat', 'cairn.runAction']);

export type StreamKind = 'text' | 'status' | 'error' | 'done';

/**
 * Params of a `cairn/stream` notification. `text` appends to the answer, `status` is a
 * transient line (a tool being run), `error` says why the run failed, `done` ends the stream.
 */
export interface StreamEvent {
  streamId: string;
  kind: StreamKind;
  text: string;
}

/** Whether a notification's params are a well-formed stream event. */
export function isStreamEvent(value: unknown): value is StreamEvent {
  if (typeof value !== 'object' || value === null) {
    return false;
  }
  const event = value as Record<string, unknown>;
  return (
    typeof event.streamId === 'string' &&
    (event.kind === 'text' || event.kind === 'status' || event.kind === 'error' || event.kind === 'done') &&
    (event.text === undefined || typeof event.text === 'string')
  );
}

/** Server setting keys (README's settings table), split by who may set them. */
export const SETTING_KEYS = [
  'model',
  'apiBase',
  'apiKey',
  'actionProtocol',
  'contextWindow',
  'memoryPath',
  'trusted',
  'shell',
  'shellTimeout',
  'approvalTimeout',
  'maxSteps',
  'requestTimeout',
  'logLevel',
] as const;

export type SettingKey = (typeof SETTING_KEYS)[number];

/** Keys a workspace may set only once it is trusted (scope "sensitive" on the server). */
export const SENSITIVE_SETTINGS: ReadonlySet<SettingKey> = new Set<SettingKey>([
  'model',
  'apiBase',
  'apiKey',
  'memoryPath',
  'shell',
]);

/** Keys only the user may set, never a workspace (scope "machine" on the server). */
export const MACHINE_SETTINGS: ReadonlySet<SettingKey> = new Set<SettingKey>(['trusted']);
