/**
 * The status bar's text and tooltip, computed from the server's `cairn.status` report
 * (server/status.py). No `vscode` import, so the wording is unit-tested directly.
 */

/** The parts of the status report the status bar reads; anything may be missing. */
export interface StatusReport {
  version?: string;
  workspace?: string | null;
  /** No folder from VS Code and no file opened yet: the first file's folder becomes the workspace. */
  workspacePending?: boolean;
  trusted?: boolean;
  model?: string | null;
  memory?: { path?: string; exists?: boolean } & Record<string, unknown>;
  /** From the memory feature: "ready", "consolidating", "checkpointing", "starting" or "unavailable (why)". */
  memoryState?: string;
  running?: string[];
  problems?: string[];
  settings?: Record<string, unknown>;
}

export interface StatusView {
  text: string;
  tooltip: string;
  /** Whether the server is working on something (the status bar refreshes more often). */
  busy: boolean;
}

const UUID_LIKE = /^[0-9a-f]{8}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{4}-?[0-9a-f]{12}$/i;

/** A short label for a running task's key: known background jobs by name, the rest "working". */
export function taskLabel(key: string): string {
  const lowered = key.toLowerCase();
  if (lowered.includes('checkpoint')) {
    return 'checkpoint';
  }
  if (lowered.includes('consolidat') || lowered.includes('dream')) {
    return 'consolidating memory';
  }
  if (lowered.includes('summar')) {
    return 'summarizing';
  }
  return UUID_LIKE.test(key) ? 'working' : key;
}

function memoryLabel(report: StatusReport): string {
  if (report.workspacePending) {
    return 'waiting for a file'; // memory starts with the workspace
  }
  const state = report.memoryState;
  if (state === undefined || state === 'ready') {
    return report.memory?.exists === false && state === undefined ? 'memory (new)' : 'memory';
  }
  if (state === 'consolidating' || state === 'checkpointing') {
    return 'memory'; // shown as running work instead
  }
  return state.startsWith('unavailable') ? 'no memory' : `memory (${state})`;
}

/** Status bar content for a report (or for a server that is not running). */
export function statusView(report: StatusReport | undefined, state: 'starting' | 'running' | 'stopped' | 'failed'): StatusView {
  if (!report || state !== 'running') {
    const text = {
      starting: '$(loading~spin) Cairn',
      running: '$(loading~spin) Cairn',
      stopped: '$(circle-slash) Cairn',
      failed: '$(error) Cairn',
    }[state];
    const tooltip = {
      starting: 'Cairn is starting…',
      running: 'Cairn is running.',
      stopped: 'Cairn is stopped. Click for status.',
      failed: 'Cairn could not start: see the Cairn output. Click for status.',
    }[state];
    return { text, tooltip, busy: state === 'starting' };
  }
  const keys = [...(report.running ?? []), ...(report.memoryState === 'checkpointing' ? ['checkpoint'] : [])];
  const running = [...new Set(keys.map(taskLabel))];
  const model = report.model || 'no model';
  const memory = memoryLabel(report);
  const unavailable = report.memoryState?.startsWith('unavailable') ?? false;
  const icon = running.length > 0 ? '$(sync~spin)' : report.problems?.length || unavailable ? '$(warning)' : '$(hubot)';
  const restricted = report.trusted === false ? ' $(shield)' : '';
  const activity = running.length > 0 ? ` \u00b7 ${running.join(', ')}` : '';
  const text = `${icon} Cairn: ${model} \u00b7 ${memory}${activity}${restricted}`;
  const lines = [
    `Cairn ${report.version ?? ''}`.trim(),
    `Model: ${report.model || '(none configured)'}`,
    `Memory: ${report.memory?.path ?? '(unknown)'}${report.memoryState ? ` — ${report.memoryState}` : report.memory?.exists ? '' : ' (not created yet)'}`,
    `Workspace: ${report.workspacePending ? 'the folder of the first file you open' : report.workspace ?? '(none)'}${report.trusted === false ? ' \u2014 restricted mode (untrusted)' : ''}`,
  ];
  if (running.length > 0) {
    lines.push(`Running: ${running.join(', ')}`);
  }
  for (const problem of report.problems ?? []) {
    lines.push(`Problem: ${problem}`);
  }
  return { text, tooltip: lines.join('\n'), busy: running.length > 0 };
}
