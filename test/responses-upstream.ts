import type { ServerResponse } from 'node:http';
import { FakeUpstream, json, type RecordedRequest } from './fake-upstream';

// A chat-only backend for the Responses bridge tests: each request is answered with the next scripted
// turn, as JSON or as an SSE stream in small pieces (as real backends send them), with usage when the
// router asks for it. What the router sent is kept in `fake.requests`.

export interface ChatTurn {
  text?: string;
  reasoning?: string;
  toolCalls?: Array<{ id?: string; name: string; arguments: string }>;
  finish?: string;
  /** Stream only: end the connection after this many chunks, without [DONE]. */
  dieAfter?: number;
}

export const USAGE = { prompt_tokens: 21, completion_tokens: 8, total_tokens: 29, prompt_tokens_details: { cached_tokens: 4 } };

/** Answers the chat requests of `fake` with `turns` in order (the last one repeats), after `delayMs`. */
export function scriptChat(fake: FakeUpstream, turns: ChatTurn[], delayMs = 0): void {
  let next = 0;
  answerChat(fake, () => turns[Math.min(next++, turns.length - 1)], delayMs);
}

/** Answers each chat request of `fake` with the turn `decide` picks from what was sent. */
export function answerChat(fake: FakeUpstream, decide: (req: RecordedRequest) => ChatTurn, delayMs = 0): void {
  fake.handle(async (req, res) => {
    if (delayMs) await new Promise((r) => setTimeout(r, delayMs));
    if (req.method === 'GET') {
      json(res, 200, { object: 'list', data: fake.models.map((id) => ({ id, object: 'model', created: 1, owned_by: 'fake' })) });
      return;
    }
    const turn = decide(req);
    if (req.body?.stream) return streamTurn(req, res, turn);
    json(res, 200, completionOf(req, turn));
  });
}

function completionOf(req: RecordedRequest, turn: ChatTurn) {
  const message: Record<string, unknown> = { role: 'assistant', content: turn.text ?? null };
  if (turn.reasoning) message.reasoning_content = turn.reasoning;
  if (turn.toolCalls) message.tool_calls = turn.toolCalls.map((c, i) => ({ id: c.id ?? `call_${i}`, type: 'function', function: { name: c.name, arguments: c.arguments } }));
  const finish = turn.finish ?? (turn.toolCalls ? 'tool_calls' : 'stop');
  return { id: 'chatcmpl-1', object: 'chat.completion', created: 1, model: req.body.model, choices: [{ index: 0, message, finish_reason: finish }], usage: USAGE };
}

async function streamTurn(req: RecordedRequest, res: ServerResponse, turn: ChatTurn): Promise<void> {
  const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model: req.body.model };
  const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({ ...base, choices: [{ index: 0, delta, finish_reason: finish }] });
  const chunks: unknown[] = [chunk({ role: 'assistant', content: '' })];
  for (const piece of pieces(turn.reasoning)) chunks.push(chunk({ reasoning_content: piece }));
  for (const piece of pieces(turn.text)) chunks.push(chunk({ content: piece }));
  (turn.toolCalls ?? []).forEach((c, index) => {
    chunks.push(chunk({ tool_calls: [{ index, id: c.id ?? `call_${index}`, type: 'function', function: { name: c.name, arguments: '' } }] }));
    for (const piece of pieces(c.arguments, 7)) chunks.push(chunk({ tool_calls: [{ index, function: { arguments: piece } }] }));
  });
  chunks.push(chunk({}, turn.finish ?? (turn.toolCalls ? 'tool_calls' : 'stop')));
  if (req.body.stream_options?.include_usage) chunks.push({ ...base, choices: [], usage: USAGE });
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (let i = 0; i < chunks.length; i++) {
    if (res.destroyed) return;
    if (turn.dieAfter !== undefined && i === turn.dieAfter) {
      res.socket?.destroy();
      return;
    }
    res.write(`data: ${JSON.stringify(chunks[i])}\n\n`);
    await new Promise((r) => setTimeout(r, 2));
  }
  res.end('data: [DONE]\n\n');
}

function pieces(text: string | undefined, size = 4): string[] {
  const out: string[] = [];
  for (let i = 0; text && i < text.length; i += size) out.push(text.slice(i, i + size));
  return out;
}

/** The chat requests the backend received (not /models). */
export const chatRequests = (fake: FakeUpstream) => fake.requests.filter((r) => r.method === 'POST');
