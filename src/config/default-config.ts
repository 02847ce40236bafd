import { Env } from './config-loader';

/**
 * The config used when there is no config file: a local Ollama as the default backend, plus OpenAI and
 * Groq when their keys are in the environment. OLLAMA_BASE_URL overrides Ollama's address (docker compose
 * sets it to the ollama service).
 */
export function buildDefaultConfig(env: Env): Record<string, unknown> {
  const backends: Record<string, unknown>[] = [
    {
      name: 'ollama',
      base_url: env.OLLAMA_BASE_URL || 'http://localhost:11434/v1',
      prefix: 'ollama/',
      default: true,
      role_rewrites: { developer: 'system' },
      // Ollama refuses `reasoning_effort` for models that cannot think: bridged requests leave it out.
      reasoning_effort: false,
    },
  ];
  if (env.OPENAI_API_KEY) {
    backends.push({
      name: 'openai',
      base_url: 'https://api.openai.com/v1',
      prefix: 'openai/',
      require_api_key: true,
      key_env_var: 'OPENAI_API_KEY',
      endpoints: ['chat/completions', 'completions', 'embeddings', 'responses'],
    });
  }
  if (env.GROQ_API_KEY) {
    backends.push({
      name: 'groq',
      base_url: 'https://api.groq.com/openai/v1',
      prefix: 'groq/',
      require_api_key: true,
      key_env_var: 'GROQ_API_KEY',
      role_rewrites: { developer: 'system' },
      unsupported_params: ['reasoning_effort'],
    });
  }
  return { listening_port: 11411, llmrouter_api_key_env: 'LLMROUTER_API_KEY', backends };
}
