import { readTokenUsage } from './sse-monitor';
import { lastIndexOfUsageKey } from './usage-key';

// The token usage of a non-streamed JSON answer, read without keeping or parsing the whole answer.

/** How much of a JSON answer's end the relay keeps to read its usage from. */
export const USAGE_TAIL_BYTES = 8 * 1024;

/**
 * The usage object of a JSON answer, read from the end of its body: OpenAI-compatible servers put
 * "usage" last (llama.cpp adds "timings" after it), so only that object is parsed, not the whole answer.
 */
export function usageInTail(tail: Buffer) {
  const at = lastIndexOfUsageKey(tail);
  if (at === -1) return undefined;
  const open = tail.indexOf('{', at);
  if (open === -1) return undefined;
  const close = endOfObject(tail, open);
  if (close === -1) return undefined;
  try {
    return readTokenUsage(JSON.parse(tail.toString('utf8', open, close + 1)));
  } catch {
    return undefined;
  }
}

/** The index of the "}" closing the object that opens at `open`, skipping strings; -1 when cut off. */
function endOfObject(buf: Buffer, open: number): number {
  let depth = 0;
  let inString = false;
  for (let i = open; i < buf.length; i++) {
    const c = buf[i];
    if (inString) {
      if (c === 0x5c /* \ */) i++;
      else if (c === 0x22 /* " */) inString = false;
    } else if (c === 0x22) inString = true;
    else if (c === 0x7b /* { */) depth++;
    else if (c === 0x7d /* } */ && --depth === 0) return i;
  }
  return -1;
}
