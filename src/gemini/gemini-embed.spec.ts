import { OpenAIError } from '../common/openai-error';
import { embeddingsToGemini, geminiToEmbeddings, MAX_EMBED_REQUESTS } from './gemini-embed';

const content = (text: string) => ({ parts: [{ text }] });

describe('geminiToEmbeddings and embeddingsToGemini', () => {
  it('sends batchEmbedContents as one /embeddings call with the texts in order, and answers the vectors in input order', () => {
    const body = geminiToEmbeddings({ model: 'chat/nomic', requests: [{ content: content('a') }, { content: { parts: [{ text: 'b' }, { text: 'c' }] }, outputDimensionality: 8 }] }, true);
    expect(body).toEqual({ model: 'chat/nomic', input: ['a', 'b\nc'], encoding_format: 'float', dimensions: 8 });
    const answer = embeddingsToGemini({ data: [{ index: 1, embedding: [0.2] }, { index: 0, embedding: [0.1, 'x'] }] }, true);
    expect(answer).toEqual({ embeddings: [{ values: [0.1] }, { values: [0.2] }] });
  });

  it('sends embedContent as one input and answers one embedding', () => {
    expect(geminiToEmbeddings({ model: 'm', content: content('solo') }, false)).toEqual({ model: 'm', input: ['solo'], encoding_format: 'float' });
    expect(embeddingsToGemini({ data: [{ index: 0, embedding: [1, 2] }] }, false)).toEqual({ embedding: { values: [1, 2] } });
    expect(embeddingsToGemini({}, false)).toEqual({ embedding: { values: [] } });
  });

  it.each([
    ['no requests', { requests: [] }, /requests/],
    ['too many requests', { requests: Array.from({ length: MAX_EMBED_REQUESTS + 1 }, () => ({ content: content('x') })) }, /at most/],
    ['an image part', { requests: [{ content: { parts: [{ inlineData: { mimeType: 'image/png', data: 'x' } }] } }] }, /only text parts/],
    ['a zero outputDimensionality', { requests: [{ content: content('x'), outputDimensionality: 0 }] }, /outputDimensionality/],
  ])('refuses %s with a 400', (_what, body, message) => {
    expect(() => geminiToEmbeddings({ model: 'm', ...body }, true)).toThrow(OpenAIError);
    expect(() => geminiToEmbeddings({ model: 'm', ...body }, true)).toThrow(message);
  });
});
