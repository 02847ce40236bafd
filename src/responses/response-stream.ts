import type { JsonObject } from '../common/proxy-context';
import { argumentsText, isObject, textOf } from '../common/json';
import { CustomInputDecoder } from './custom-input-decoder';
import {
  finish,
  messageItem,
  newId,
  reasoningItem,
  reasoningText,
  responseEnvelope,
  responseUsage,
  textPart,
  toolCallIdPrefix,
  toolCallItem,
  type ResponseRequest,
} from './response-object';

// Chat Completions chunks in, Responses API events out, as they arrive. Each output item is announced
// (output_item.added) before its first delta and closed (…done, output_item.done with the full item)
// before the next one opens; the stream always ends with response.completed, response.incomplete, or
// response.failed followed by an error event. Knows nothing of HTTP: push() returns SSE text.

interface OpenItem {
  kind: 'reasoning' | 'message' | 'tool';
  index: number;
  id: string;
  text: string;
}

interface ToolCall extends OpenItem {
  kind: 'tool';
  callId?: string;
  name: string;
  /** Announced with output_item.added; until then (name or id still unknown) arguments are held. */
  announced: boolean;
  custom: boolean;
  /** A tool_search_call: no argument events, its arguments arrive whole with the item. */
  silent?: boolean;
  decoder?: CustomInputDecoder;
}

export class ResponseStreamTranslator {
  private sequence = 0;
  private started = false;
  private ended = false;
  private readonly output: JsonObject[] = [];
  private open: OpenItem | undefined;
  private readonly tools = new Map<number, ToolCall>();
  private finishReason: unknown;
  private usage: JsonObject | null = null;

  constructor(
    private readonly req: ResponseRequest,
    /** Called once with the final response (completed or incomplete), e.g. to store it; end() waits for it. */
    private readonly onFinished?: (response: JsonObject) => void | Promise<void>,
  ) {}

  push(chunk: JsonObject): string {
    if (this.ended) return '';
    if (isObject(chunk.error)) {
      // An error event inside the backend's stream (vLLM, LiteLLM): the answer failed.
      const message = typeof chunk.error.message === 'string' ? chunk.error.message : 'The backend reported an error mid-stream.';
      return this.fail(message, typeof chunk.error.code === 'string' ? chunk.error.code : 'upstream_stream_error');
    }
    let out = this.start();
    if (isObject(chunk.usage)) this.usage = responseUsage(chunk.usage);
    const choice = Array.isArray(chunk.choices) && isObject(chunk.choices[0]) ? chunk.choices[0] : undefined;
    const delta = choice && isObject(choice.delta) ? choice.delta : undefined;
    if (delta) {
      const reasoning = reasoningText(delta);
      if (reasoning) out += this.append('reasoning', reasoning);
      const text = textOf(delta.content);
      if (text !== '') out += this.append('message', text);
      if (Array.isArray(delta.tool_calls)) delta.tool_calls.forEach((call, i) => (out += isObject(call) ? this.toolDelta(call, i) : ''));
    }
    if (choice && choice.finish_reason !== null && choice.finish_reason !== undefined) {
      this.finishReason = choice.finish_reason;
      out += this.closeAll();
    }
    return out;
  }

  /**
   * The backend's stream ended properly: close what is open and send the final event, once the response
   * is stored (so a next turn sent the moment the client sees it finds it, on any replica).
   */
  end(): string | Promise<string> {
    if (this.ended) return '';
    let out = this.start() + this.closeAll();
    this.ended = true;
    const response = finish(responseEnvelope(this.req, 'completed', this.output, this.usage), this.finishReason);
    // Written once stored: storing may set `store: false` on it (too large to keep).
    const final = () => out + this.event(response.status === 'incomplete' ? 'response.incomplete' : 'response.completed', { response });
    const stored = this.onFinished?.(response);
    return stored ? stored.then(final) : final();
  }

  /** The backend failed midway: response.failed with what was produced, then an error event SDKs raise on. */
  fail(message: string, code: string): string {
    if (this.ended) return '';
    let out = this.start();
    this.ended = true;
    const partial = [...this.output];
    for (const item of [this.open, ...this.tools.values()]) if (item && item.index >= 0) partial[item.index] = this.itemOf(item, 'incomplete');
    const output = partial.filter((item) => Object.keys(item).length > 0);
    const response = { ...responseEnvelope(this.req, 'failed', output, this.usage), error: { code, message } };
    out += this.event('response.failed', { response });
    const error = { type: 'api_error', code, message, param: null };
    out += this.event('error', { code, message, param: null, error });
    return out;
  }

  private start(): string {
    if (this.started) return '';
    this.started = true;
    const response = responseEnvelope(this.req, 'in_progress', [], null);
    return this.event('response.created', { response }) + this.event('response.in_progress', { response });
  }

  /** Text or reasoning: continues the open item of that kind, or closes the open one and starts anew. */
  private append(kind: 'reasoning' | 'message', delta: string): string {
    let out = '';
    if (this.open?.kind !== kind) {
      out += this.closeAll();
      const item: OpenItem = { kind, index: this.output.length, id: newId(kind === 'message' ? 'msg' : 'rs'), text: '' };
      this.output.push({}); // its place; filled when it is done
      this.open = item;
      out += this.event('response.output_item.added', { output_index: item.index, item: this.itemOf(item, 'in_progress') });
      out +=
        kind === 'message'
          ? this.event('response.content_part.added', { ...this.at(item), content_index: 0, part: textPart('') })
          : this.event('response.reasoning_summary_part.added', { ...this.at(item), summary_index: 0, part: { type: 'summary_text', text: '' } });
    }
    const item = this.open!;
    item.text += delta;
    return (
      out +
      (kind === 'message'
        ? this.event('response.output_text.delta', { ...this.at(item), content_index: 0, delta, logprobs: [] })
        : this.event('response.reasoning_summary_text.delta', { ...this.at(item), summary_index: 0, delta }))
    );
  }

  /** `position`: the call's place in this chunk, for chunks made from a whole message (no `index`). */
  private toolDelta(call: JsonObject, position: number): string {
    const index = typeof call.index === 'number' ? call.index : position;
    const fn = isObject(call.function) ? call.function : {};
    let out = '';
    let tool = this.tools.get(index);
    if (!tool) {
      // Text or reasoning ends where a call begins; other calls stay open (their arguments may follow).
      if (this.open && this.open.kind !== 'tool') out += this.closeAll();
      tool = { kind: 'tool', index: -1, id: '', text: '', name: '', announced: false, custom: false };
      this.tools.set(index, tool);
    }
    if (!tool.announced) {
      // Backends send the head once, repeat it in every chunk, or (rarely) split it: all three add up.
      if (typeof call.id === 'string') tool.callId = joinPiece(tool.callId ?? '', call.id);
      if (typeof fn.name === 'string') tool.name = joinPiece(tool.name, fn.name);
    }
    const args = argumentsText(fn.arguments);
    tool.text += args;
    if (!tool.announced) {
      // Announced when the arguments start, which is after the whole name. A call without an id gets
      // one of ours: the client replays it as given, so backend and client stay consistent.
      if (tool.name && tool.text !== '') out += this.announce(tool, tool.text);
      return out;
    }
    return out + this.argumentsDelta(tool, args);
  }

  private announce(tool: ToolCall, heldArgs: string): string {
    tool.announced = true;
    tool.callId ??= newId('call');
    const kind = this.req.tools.get(tool.name)?.kind;
    tool.custom = kind === 'custom';
    tool.silent = kind === 'tool_search';
    tool.id = newId(toolCallIdPrefix(this.req, tool.name));
    tool.index = this.output.length;
    if (tool.custom) tool.decoder = new CustomInputDecoder();
    this.output.push({});
    this.open = tool;
    const out = this.event('response.output_item.added', { output_index: tool.index, item: this.itemOf(tool, 'in_progress') });
    return out + this.argumentsDelta(tool, heldArgs);
  }

  private argumentsDelta(tool: ToolCall, args: string): string {
    if (args === '' || tool.silent) return '';
    if (!tool.custom) return this.event('response.function_call_arguments.delta', { ...this.at(tool), delta: args });
    const delta = tool.decoder!.push(args);
    return delta ? this.event('response.custom_tool_call_input.delta', { ...this.at(tool), delta }) : '';
  }

  /** Closes the open text/reasoning item and every tool call, in output order. */
  private closeAll(): string {
    let out = '';
    const open = this.open;
    this.open = undefined;
    if (open && open.kind !== 'tool') out += this.closeItem(open);
    const pending = [...this.tools.values()];
    this.tools.clear();
    for (const tool of pending) {
      if (!tool.announced) out += this.announce(tool, tool.text);
      out += this.closeTool(tool);
    }
    return out;
  }

  private closeItem(item: OpenItem): string {
    let out: string;
    if (item.kind === 'message') {
      out = this.event('response.output_text.done', { ...this.at(item), content_index: 0, text: item.text, logprobs: [] });
      out += this.event('response.content_part.done', { ...this.at(item), content_index: 0, part: textPart(item.text) });
    } else {
      out = this.event('response.reasoning_summary_text.done', { ...this.at(item), summary_index: 0, text: item.text });
      out += this.event('response.reasoning_summary_part.done', { ...this.at(item), summary_index: 0, part: { type: 'summary_text', text: item.text } });
    }
    return out + this.itemDone(item);
  }

  private closeTool(tool: ToolCall): string {
    const done = this.itemOf(tool, 'completed');
    let out: string;
    if (tool.custom) {
      // Whatever the decoder could not stream (arguments of another shape) goes out before done.
      const input = done.input as string;
      const streamed = tool.decoder!.decoded;
      const rest = input.startsWith(streamed) ? input.slice(streamed.length) : '';
      out = rest ? this.event('response.custom_tool_call_input.delta', { ...this.at(tool), delta: rest }) : '';
      out += this.event('response.custom_tool_call_input.done', { ...this.at(tool), input });
    } else if (tool.silent) {
      out = '';
    } else {
      out = this.event('response.function_call_arguments.done', { ...this.at(tool), name: done.name, arguments: tool.text });
    }
    return out + this.itemDone(tool);
  }

  private itemDone(item: OpenItem): string {
    const status = item.kind !== 'reasoning' && this.finishReason === 'length' ? 'incomplete' : 'completed';
    const done = this.itemOf(item, status);
    this.output[item.index] = done;
    return this.event('response.output_item.done', { output_index: item.index, item: done });
  }

  private itemOf(item: OpenItem, status: string): JsonObject {
    if (item.kind === 'reasoning') return reasoningItem(item.id, status === 'in_progress' ? '' : item.text);
    if (item.kind === 'message') return messageItem(item.id, status, status === 'in_progress' ? [] : [textPart(item.text)]);
    const tool = item as ToolCall;
    return toolCallItem(this.req, tool.id, tool.callId!, tool.name, status === 'in_progress' ? '' : tool.text, status);
  }

  private at(item: OpenItem): JsonObject {
    return { item_id: item.id, output_index: item.index };
  }

  private event(type: string, fields: JsonObject): string {
    const data = JSON.stringify({ type, sequence_number: this.sequence++, ...fields });
    return `event: ${type}\ndata: ${data}\n\n`;
  }
}

/** `piece` added to `sofar`: a repeat of the whole (or a longer version) replaces it, a new piece is appended. */
function joinPiece(sofar: string, piece: string): string {
  if (piece.startsWith(sofar)) return piece;
  return sofar + piece;
}
