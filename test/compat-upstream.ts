import type { ServerResponse } from 'node:http';
import type { FakeUpstream, RecordedRequest } from './fake-upstream';

// Scripted answers for every OpenAI endpoint the compat tests use, written exactly as a real backend
// would frame them; each answer's raw bytes are kept so tests can compare them with what the client got.

export interface SentAnswer {
  path: string;
  contentType: string;
  raw: string;
}

/** Makes `fake` answer chat, completions, embeddings and responses, recording each answer's bytes. */
export function answerAllEndpoints(fake: FakeUpstream): SentAnswer[] {
  const sent: SentAnswer[] = [];
  fake.handle((req, res) => {
    const answer = answerFor(req);
    sent.push({ path: req.path, ...answer });
    res.writeHead(200, { 'content-type': answer.contentType, ...(answer.contentType === 'application/json' ? { 'content-length': Buffer.byteLength(answer.raw) } : {}) });
    res.end(answer.raw);
  });
  return sent;
}

function answerFor(req: RecordedRequest): { contentType: string; raw: string } {
  const body = req.body ?? {};
  const model = body.model ?? 'unknown';
  const stream = body.stream === true;
  if (req.path.endsWith('/embeddings')) {
    const inputs = Array.isArray(body.input) ? body.input : [body.input];
    return jsonAnswer({
      object: 'list',
      data: inputs.map((_: unknown, index: number) => ({ object: 'embedding', index, embedding: [0.125, -0.5, 0.25] })),
      model,
      usage: { prompt_tokens: 9, total_tokens: 9 },
    });
  }
  if (req.path.endsWith('/responses')) {
    const response = {
      id: 'resp_1',
      object: 'response',
      created_at: 1,
      status: 'completed',
      model,
      output: [{ type: 'message', id: 'msg_1', status: 'completed', role: 'assistant', content: [{ type: 'output_text', text: 'It is 18 °C.', annotations: [] }] }],
      usage: { input_tokens: 20, output_tokens: 6, total_tokens: 26 },
    };
    if (!stream) return jsonAnswer(response);
    return sseAnswer(
      [
        `event: response.created\ndata: ${JSON.stringify({ type: 'response.created', sequence_number: 0, response: { ...response, status: 'in_progress', output: [] } })}\n\n`,
        `event: response.output_text.delta\ndata: ${JSON.stringify({ type: 'response.output_text.delta', sequence_number: 1, item_id: 'msg_1', output_index: 0, content_index: 0, delta: 'It is 18 °C.' })}\n\n`,
        `event: response.completed\ndata: ${JSON.stringify({ type: 'response.completed', sequence_number: 2, response })}\n\n`,
      ].join(''),
    );
  }
  if (req.path.endsWith('/completions') && !req.path.endsWith('/chat/completions')) {
    if (!stream) {
      return jsonAnswer({ id: 'cmpl-1', object: 'text_completion', created: 1, model, choices: [{ index: 0, text: 'if n < 2:\n        return n', finish_reason: 'stop', logprobs: null }], usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 } });
    }
    const chunk = (text: string, finish: string | null) =>
      `data: ${JSON.stringify({ id: 'cmpl-1', object: 'text_completion', created: 1, model, choices: [{ index: 0, text, finish_reason: finish, logprobs: null }] })}\n\n`;
    return sseAnswer(chunk('if n < 2:', null) + chunk('\n        return n', 'stop') + 'data: [DONE]\n\n');
  }
  // chat/completions
  const wantsTool = Array.isArray(body.tools) && body.tools.length > 0;
  if (!stream) {
    const message = wantsTool
      ? { role: 'assistant', content: null, tool_calls: [{ id: 'call_up_1', type: 'function', function: { name: body.tools[0].function?.name, arguments: '{"command":"npm test"}' } }] }
      : { role: 'assistant', content: 'Hello world' };
    return jsonAnswer({ id: 'chatcmpl-1', object: 'chat.completion', created: 1, model, choices: [{ index: 0, message, finish_reason: wantsTool ? 'tool_calls' : 'stop' }], usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 } });
  }
  const base = { id: 'chatcmpl-1', object: 'chat.completion.chunk', created: 1, model };
  const events: unknown[] = [{ ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] }];
  if (wantsTool) {
    const name = body.tools[body.tools.length - 1].function?.name;
    events.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, id: 'call_up_1', type: 'function', function: { name, arguments: '' } }] }, finish_reason: null }] });
    events.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: '{"input":"*** Begin' } }] }, finish_reason: null }] });
    events.push({ ...base, choices: [{ index: 0, delta: { tool_calls: [{ index: 0, function: { arguments: ' Patch\\n"}' } }] }, finish_reason: null }] });
    events.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }] });
  } else {
    events.push({ ...base, choices: [{ index: 0, delta: { content: 'print("hello world")' }, finish_reason: null }] });
    events.push({ ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  }
  if (body.stream_options?.include_usage === true) {
    events.push({ ...base, choices: [], usage: { prompt_tokens: 30, completion_tokens: 5, total_tokens: 35 } });
  }
  return sseAnswer(events.map((e) => `data: ${JSON.stringify(e)}\n\n`).join('') + 'data: [DONE]\n\n');
}

function jsonAnswer(body: unknown) {
  return { contentType: 'application/json', raw: JSON.stringify(body) };
}

function sseAnswer(raw: string) {
  return { contentType: 'text/event-stream', raw };
}

/** Writes SSE bytes in the given pieces, as an upstream's writes would split them (even inside a character). */
export async function writePieces(res: ServerResponse, pieces: (string | Buffer)[], gapMs = 5): Promise<void> {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  for (const piece of pieces) {
    if (res.destroyed) return;
    res.write(piece);
    await new Promise((r) => setTimeout(r, gapMs));
  }
  res.end();
}
