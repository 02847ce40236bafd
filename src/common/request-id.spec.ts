import { requestIdFor } from './request-id';

describe('requestIdFor', () => {
  it.each(['abc', 'req_1.2:3-4', 'x'.repeat(128)])('keeps the sane client id %s', (id) => {
    expect(requestIdFor(id)).toBe(id);
  });

  it.each([undefined, '', 'has space', 'x'.repeat(129), 'semi;colon', '<script>', ['a', 'b']])('replaces %p with a new UUID', (id) => {
    expect(requestIdFor(id as string | undefined)).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
  });
});
