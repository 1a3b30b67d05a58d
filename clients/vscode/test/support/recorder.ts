/** A StreamSink that records what it was given, as `kind:text` strings (and `end`). */
import type { StreamSink } from '../../src/streams';

export function recordingSink(): { events: string[]; sink: StreamSink } {
  const events: string[] = [];
  const sink: StreamSink = {
    text: (text) => events.push(`text:${text}`),
    status: (text) => events.push(`status:${text}`),
    error: (text) => events.push(`error:${text}`),
    end: () => events.push('end'),
  };
  return { events, sink };
}
