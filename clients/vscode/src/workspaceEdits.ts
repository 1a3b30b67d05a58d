/**
 * Reading an LSP WorkspaceEdit (as `workspace/applyEdit` carries it) without applying it: which
 * files it touches and by how many lines, the text a file would have afterwards (for a diff
 * before accepting), and the same edit without confirmation requests (so that VS Code applies
 * an edit the user already accepted instead of opening its Refactor Preview with the change
 * unticked). No `vscode` import.
 */
import type { Range } from './protocol';

export interface TextEditLike {
  range: Range;
  newText: string;
}

export interface ChangeAnnotationLike {
  label: string;
  needsConfirmation?: boolean;
  description?: string;
}

/** The subset of LSP's WorkspaceEdit this module reads (other entries are passed through). */
export interface WorkspaceEditLike {
  changes?: Record<string, TextEditLike[]>;
  documentChanges?: unknown[];
  changeAnnotations?: Record<string, ChangeAnnotationLike>;
}

/** The text edits (and whether the file is created) of one document in an edit. */
export interface FileChange {
  uri: string;
  edits: TextEditLike[];
  created: boolean;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null;
}

/** Every document the edit touches, in order, with its text edits merged per document. */
export function fileChanges(edit: WorkspaceEditLike): FileChange[] {
  const byUri = new Map<string, FileChange>();
  const entry = (uri: string) => {
    let change = byUri.get(uri);
    if (!change) {
      change = { uri, edits: [], created: false };
      byUri.set(uri, change);
    }
    return change;
  };
  if (Array.isArray(edit.documentChanges)) {
    for (const change of edit.documentChanges) {
      if (!isRecord(change)) {
        continue;
      }
      if (change.kind === 'create' && typeof change.uri === 'string') {
        entry(change.uri).created = true;
      } else if (isRecord(change.textDocument) && typeof change.textDocument.uri === 'string' && Array.isArray(change.edits)) {
        entry(change.textDocument.uri).edits.push(...(change.edits as TextEditLike[]));
      } else if (typeof change.kind === 'string' && typeof change.uri === 'string') {
        entry(change.uri); // rename/delete: listed, no line counts
      }
    }
  } else if (edit.changes) {
    for (const [uri, edits] of Object.entries(edit.changes)) {
      entry(uri).edits.push(...edits);
    }
  }
  return [...byUri.values()];
}

function linesOf(text: string): string[] {
  return text === '' ? [] : text.replace(/\n$/, '').split('\n');
}

/**
 * Lines removed and added by `edits` on `original`, per edit on whole lines: the lines its range
 * spans against the lines they become, less the lines that stay the same at either end.
 */
export function lineDelta(original: string, edits: TextEditLike[]): { added: number; removed: number } {
  const lines = original.split('\n');
  let added = 0;
  let removed = 0;
  for (const edit of edits) {
    const { start, end } = edit.range;
    const lastLine = end.character === 0 && end.line > start.line ? end.line - 1 : end.line;
    const before = lines.slice(start.line, lastLine + 1).join('\n');
    const after = applyTextEdits(before, [
      { range: { start: { line: 0, character: start.character }, end: { line: end.line - start.line, character: end.character } }, newText: edit.newText },
    ]);
    const oldLines = original === '' || start.line >= lines.length ? [] : linesOf(before + '\n');
    const newLines = linesOf(after + (after.endsWith('\n') || after === '' ? '' : '\n'));
    let head = 0;
    while (head < oldLines.length && head < newLines.length && oldLines[head] === newLines[head]) {
      head++;
    }
    let tail = 0;
    while (
      tail < oldLines.length - head &&
      tail < newLines.length - head &&
      oldLines[oldLines.length - 1 - tail] === newLines[newLines.length - 1 - tail]
    ) {
      tail++;
    }
    removed += oldLines.length - head - tail;
    added += newLines.length - head - tail;
  }
  return { added, removed };
}

/** The offset of an LSP position (UTF-16, like JavaScript strings) in `text`. */
export function offsetAt(text: string, position: { line: number; character: number }): number {
  let offset = 0;
  for (let line = 0; line < position.line; line++) {
    const next = text.indexOf('\n', offset);
    if (next < 0) {
      return text.length;
    }
    offset = next + 1;
  }
  const lineEnd = text.indexOf('\n', offset);
  return Math.min(offset + position.character, lineEnd < 0 ? text.length : lineEnd);
}

/** `text` with `edits` applied (LSP semantics: all ranges refer to the original text). */
export function applyTextEdits(text: string, edits: TextEditLike[]): string {
  const spans = edits
    .map((edit, index) => ({ start: offsetAt(text, edit.range.start), end: offsetAt(text, edit.range.end), newText: edit.newText, index }))
    .sort((a, b) => a.start - b.start || a.index - b.index);
  let result = '';
  let cursor = 0;
  for (const span of spans) {
    result += text.slice(cursor, span.start) + span.newText;
    cursor = Math.max(cursor, span.end);
  }
  return result + text.slice(cursor);
}

/** The same edit with every change annotation's `needsConfirmation` turned off. */
export function withoutConfirmation<T extends WorkspaceEditLike>(edit: T): T {
  if (!edit.changeAnnotations) {
    return edit;
  }
  const changeAnnotations = Object.fromEntries(
    Object.entries(edit.changeAnnotations).map(([id, annotation]) => [id, { ...annotation, needsConfirmation: false }]),
  );
  return { ...edit, changeAnnotations };
}
