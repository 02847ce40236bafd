// A reader for the Anthropic event streams the router sends back (the chunks fed in: ./chat-chunks).

/** The events of an SSE body: event name and parsed data. */
export function anthropicEvents(text: string): { event: string; data: any }[] {
  return text
    .split('\n\n')
    .filter((block) => block.trim() !== '')
    .map((block) => {
      const lines = block.split('\n');
      const event = lines.find((l) => l.startsWith('event: '))?.slice(7) ?? '';
      const data = lines.find((l) => l.startsWith('data: '));
      return { event, data: data ? JSON.parse(data.slice(6)) : undefined };
    });
}
