/**
 * Turning command results (memory, skills, status) into text the editor can show. Results are
 * plain JSON; these helpers accept the shapes the server uses (a string, an object with a
 * `markdown`/`text` field, a list of records, or a list under a named key) and fall back to
 * pretty JSON, so a new field never hides the answer. No `vscode` import.
 */

export interface ListEntry {
  label: string;
  description?: string;
  detail?: string;
  /** The record as returned, for follow-up commands (e.g. its `id` or `name`). */
  record: Record<string, unknown>;
}

const TEXT_FIELDS = ['markdown', 'text', 'content', 'body', 'summary'];
const LABEL_FIELDS = ['title', 'name', 'statement', 'text', 'content', 'summary'];
const LIST_FIELDS = ['results', 'memories', 'items', 'skills', 'entries'];

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function firstString(record: Record<string, unknown>, fields: string[]): string | undefined {
  for (const field of fields) {
    const value = record[field];
    if (typeof value === 'string' && value.trim() !== '') {
      return value;
    }
  }
  return undefined;
}

/** The list inside a result: the result itself when it is an array, else a known list field. */
export function listOf(result: unknown): unknown[] | undefined {
  if (Array.isArray(result)) {
    return result;
  }
  if (isRecord(result)) {
    for (const field of LIST_FIELDS) {
      if (Array.isArray(result[field])) {
        return result[field] as unknown[];
      }
    }
  }
  return undefined;
}

/** Quick-pick entries for a list result; strings become labels, records their best field. */
export function listEntries(result: unknown): ListEntry[] {
  return (listOf(result) ?? []).map((item) => {
    if (!isRecord(item)) {
      return { label: String(item), record: { value: item } };
    }
    const label = firstString(item, LABEL_FIELDS) ?? JSON.stringify(item);
    const id = item.id !== undefined ? `#${String(item.id)}` : undefined;
    const description = [id, typeof item.kind === 'string' ? item.kind : undefined, firstString(item, ['source', 'scope'])]
      .filter(Boolean)
      .join(' \u00b7 ');
    const detail = firstString(item, ['description', 'path']);
    return { label: label.replace(/\s+/g, ' ').slice(0, 200), description: description || undefined, detail, record: item };
  });
}

/** Markdown for any result. */
export function toMarkdown(title: string, result: unknown): string {
  const heading = `# ${title}\n\n`;
  if (typeof result === 'string') {
    return heading + result + '\n';
  }
  if (isRecord(result)) {
    const text = firstString(result, TEXT_FIELDS);
    if (text !== undefined) {
      return heading + text + '\n';
    }
  }
  const entries = listOf(result);
  if (entries !== undefined) {
    if (entries.length === 0) {
      return heading + '_Nothing yet._\n';
    }
    const lines = listEntries(result).map(
      (entry) => `- ${entry.label}${entry.description ? ` _(${entry.description})_` : ''}`,
    );
    return heading + lines.join('\n') + '\n';
  }
  return heading + '```json\n' + JSON.stringify(result ?? null, null, 2) + '\n```\n';
}
