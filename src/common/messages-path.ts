// The Anthropic Messages paths, where the router key may come as x-api-key and errors are Anthropic's.

/** /v1/messages, /messages and their count_tokens paths (a query string allowed, as Claude Code adds ?beta=true). */
const MESSAGES_PATH = /^\/(?:v1\/)?messages(?:\/|\?|$)/;

export function isMessagesPath(url: string | undefined): boolean {
  return url !== undefined && MESSAGES_PATH.test(url);
}
