import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeUpstream, type RecordedRequest } from './fake-upstream';
import { spawnRouter, type SpawnedRouter } from './ops-spawn';
import { answerChat, chatRequests, type ChatTurn } from './responses-upstream';

// What the real coding agents talk to in their e2e tests: the built router (dist/main.js, as a process)
// in front of a recording chat-only fake "Ollama" on 127.0.0.1, configured as config-sample.json
// configures Ollama. The fake plays a model: a prompt carrying a marker word gets the tool call scripted
// for it (only when the request declares that tool), a tool result gets "Tool said: <result>", and
// anything else a plain answer. What the program then prints proves the round trip went through it.

export const AGENT_KEY = 'rsk_agents_e2e_key_0123456789';
export const PLAIN_ANSWER = 'PLAIN-ANSWER-7731';
/** A command whose output (MARKER-42) appears only if a shell really ran it. */
export const MARKER_COMMAND = 'echo MARKER-$((6*7))';
export const AGENT_TIMEOUT_MS = 120_000;

export interface AgentBackend {
  fake: FakeUpstream;
  router: SpawnedRouter;
  /** Chat requests that reached the backend since the last `reset()`. */
  sent(): RecordedRequest[];
  /** Router request-log lines (JSON) for `path`, since the router started. */
  routerLog(path: string): Array<Record<string, unknown>>;
  reset(): void;
  close(): Promise<void>;
}

/** Starts the fake backend and the built router; `tools` maps a prompt marker to the call the model makes. */
export async function startAgentBackend(tools: Record<string, { name: string; arguments: Record<string, unknown> }>): Promise<AgentBackend> {
  const fake = await FakeUpstream.start();
  answerChat(fake, (req) => modelTurn(req.body, tools));
  const sample = JSON.parse(readFileSync(join(__dirname, '..', 'config-sample.json'), 'utf8'));
  const ollama = sample.backends.find((b: { name: string }) => b.name === 'ollama');
  const router = await spawnRouter(
    { llmrouter_api_key_env: 'LLMROUTER_API_KEY', backends: [{ ...ollama, base_url: fake.url, default: true }] },
    { LLMROUTER_API_KEY: AGENT_KEY },
  );
  return {
    fake,
    router,
    sent: () => chatRequests(fake),
    routerLog: (path) =>
      router
        .stdout()
        .split('\n')
        .filter((l) => l.startsWith('{'))
        .map((l) => JSON.parse(l) as Record<string, unknown>)
        .filter((l) => l.path === path),
    reset: () => fake.requests.splice(0),
    close: async () => {
      router.kill('SIGTERM');
      await router.exited;
      await fake.close();
    },
  };
}

function modelTurn(body: any, tools: Record<string, { name: string; arguments: Record<string, unknown> }>): ChatTurn {
  const messages: any[] = body?.messages ?? [];
  const last = messages[messages.length - 1];
  if (last?.role === 'tool') return { text: `Tool said: ${textOf(last.content)}` };
  const prompt = textOf([...messages].reverse().find((m) => m.role === 'user')?.content);
  const declared = new Set((body?.tools ?? []).map((t: any) => t.function?.name));
  for (const [marker, call] of Object.entries(tools)) {
    if (prompt.includes(marker) && declared.has(call.name)) {
      return { reasoning: 'The user wants the tool.', toolCalls: [{ id: `call_${marker}`, name: call.name, arguments: JSON.stringify(call.arguments) }] };
    }
  }
  return { text: PLAIN_ANSWER };
}

/** Text of a chat message's content (a string or text parts). */
export function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) return content.map((p) => (typeof p?.text === 'string' ? p.text : '')).join('');
  return '';
}

/** The request whose last user message carries `marker` and which declared tools (the agent's main loop). */
export function mainTurns(sent: RecordedRequest[], marker: string): RecordedRequest[] {
  return sent.filter((r) => (r.body.tools ?? []).length > 0 && r.body.messages.some((m: any) => m.role === 'user' && textOf(m.content).includes(marker)));
}

/**
 * A tool round trip of the agent's main loop for `marker`: exactly two turns (the model asks for the tool,
 * then gets its output), the call the model made, and the tool message the backend got back in turn two.
 */
export function toolRoundTrip(sent: RecordedRequest[], marker: string): { turns: RecordedRequest[]; call: any; result: any } {
  const turns = mainTurns(sent, marker);
  expect(turns).toHaveLength(2);
  const history = turns[1].body.messages;
  return { turns, call: history.find((m: any) => m.role === 'assistant' && m.tool_calls)?.tool_calls[0], result: history[history.length - 1] };
}

/** Fields a chat backend must never receive from a bridged agent request (no Chat Completions meaning). */
export const NOT_CHAT_FIELDS = [
  'input', 'instructions', 'client_metadata', 'prompt_cache_key', 'include', 'store', 'text', 'reasoning',
  'system', 'metadata', 'thinking', 'context_management', 'output_config', 'betas', 'service_tier',
];

/** Checks every tool the backend was given is a plain chat function tool with an object schema. */
export function expectPlainFunctionTools(body: any): void {
  for (const tool of body.tools ?? []) {
    expect(Object.keys(tool).sort()).toEqual(['function', 'type']);
    expect(tool.type).toBe('function');
    expect(tool.function.name).toMatch(/^[a-zA-Z0-9_-]{1,64}$/);
    expect(tool.function.parameters?.type).toBe('object');
  }
}
