// Where a backend that serves the Gemini API itself (Google AI Studio, base_url ending in /v1beta) gets a
// request: models/{model}:{method} with the client's query (alt=sse) kept, except a `key`: the router key
// never leaves the router, the backend gets its own as x-goog-api-key.

/** The client's query string without `key=…`, with its leading "?" ('' when nothing is left). */
export function forwardedQuery(url: string): string {
  const start = url.indexOf('?');
  if (start < 0) return '';
  const kept = url
    .slice(start + 1)
    .split('&')
    .filter((pair) => pair !== '' && !pair.startsWith('key='));
  return kept.length > 0 ? `?${kept.join('&')}` : '';
}

/** The path part for one target model: escaped, but "/" and ":" kept as Gemini model names use them. */
export function nativeGeminiPath(method: string, url: string): (model: string) => string {
  const query = forwardedQuery(url);
  return (model) => `models/${encodeURIComponent(model).replace(/%2F/gi, '/').replace(/%3A/gi, ':')}:${method}${query}`;
}
