// What a chat-only fake backend answers: a Chat Completions answer, its stream chunks, and the closing usage chunk.

export const chatAnswer = (message: Record<string, unknown>, finish = 'stop', usage = { prompt_tokens: 11, completion_tokens: 3, total_tokens: 14 }) => ({
  id: 'chatcmpl-9',
  object: 'chat.completion',
  created: 1,
  model: 'qwen3-coder:30b',
  choices: [{ index: 0, message: { role: 'assistant', ...message }, finish_reason: finish }],
  usage,
});

export const chunk = (delta: Record<string, unknown>, finish: string | null = null) => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  created: 1,
  model: 'm',
  choices: [{ index: 0, delta, finish_reason: finish }],
});

export const usageChunk = (prompt: number, completion: number) => ({
  id: 'c1',
  object: 'chat.completion.chunk',
  choices: [],
  usage: { prompt_tokens: prompt, completion_tokens: completion, total_tokens: prompt + completion },
});
