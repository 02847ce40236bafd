// The Gemini API paths (Gemini CLI, the Google Gen AI SDK): the router key may come as x-goog-api-key or
// ?key=, and errors are Google's {"error":{code,message,status}}.

/** models/{model}:{method} under /v1beta, /v1 or no version prefix; GET /v1beta/models[/{model}] too. */
const GEMINI_PATH = /^\/(?:(?:v1beta|v1)\/)?models\/[^?]*:[A-Za-z]+(?:\?|$)|^\/v1beta\/models(?:\/|\?|$)/;

export function isGeminiPath(url: string | undefined): boolean {
  return url !== undefined && GEMINI_PATH.test(url);
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
