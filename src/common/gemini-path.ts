// The Gemini API paths (Gemini CLI, the Google Gen AI SDK): the router key may come as x-goog-api-key or
// ?key=, and errors are Google's {"error":{code,message,status}}.

/** models/{model}:{method} under /v1beta, /v1 or no version prefix; GET /v1beta/models[/{model}] too. */
const GEMINI_PATH = /^\/(?:(?:v1beta|v1)\/)?models\/[^?]*:[A-Za-z]+(?:\?|$)|^\/v1beta\/models(?:\/|\?|$)/;

export function isGeminiPath(url: string | undefined): boolean {
  return url !== undefined && GEMINI_PATH.test(url);
}

/** GET /v1/models[/{model}], OpenAI's paths, which the Gen AI SDK also calls (its default API version is v1). */
const MODELS_PATH = /^\/(?:v1\/)?models(?:\/[^?]*)?(?:\?|$)/;

/**
 * A Gemini client on the OpenAI model paths: it sends x-goog-api-key (OpenAI clients send a Bearer key), so it
 * gets the key read from there, Google's model shapes and Google's errors.
 */
export function isGoogleModelsRequest(req: { url?: string; headers: Record<string, unknown> }): boolean {
  return req.headers['x-goog-api-key'] !== undefined && req.url !== undefined && MODELS_PATH.test(req.url);
}

/** The `key` query parameter of a URL, or undefined; the rest of the query is not parsed. */
export function queryKey(url: string | undefined): string | undefined {
  const start = url?.indexOf('?') ?? -1;
  if (start < 0) return undefined;
  for (const pair of url!.slice(start + 1).split('&')) {
    if (!pair.startsWith('key=')) continue;
    try {
      const key = decodeURIComponent(pair.slice(4).replace(/\+/g, ' ')).trim();
      return key === '' ? undefined : key;
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The URL with any `key=` query value replaced, for anything that may print it. */
export function withoutQueryKey(url: string): string {
  return url.includes('key=') ? url.replace(/([?&]key=)[^&#]*/g, '$1[redacted]') : url;
}
