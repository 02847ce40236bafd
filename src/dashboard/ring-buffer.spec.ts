import { RingBuffer } from './ring-buffer';

describe('RingBuffer', () => {
  it('returns what was pushed, newest first', () => {
    const ring = new RingBuffer<number>(5);
    [1, 2, 3].forEach((n) => ring.push(n));
    expect(ring.newestFirst()).toEqual([3, 2, 1]);
    expect(ring.size).toBe(3);
  });

  it('keeps only the latest `capacity` items once it wraps around', () => {
    const ring = new RingBuffer<number>(3);
    for (let n = 1; n <= 10; n++) ring.push(n);
    expect(ring.newestFirst()).toEqual([10, 9, 8]);
    expect(ring.size).toBe(3);
  });

  it('filters and limits from the newest end', () => {
    const ring = new RingBuffer<number>(8);
    for (let n = 1; n <= 12; n++) ring.push(n);
    expect(ring.newestFirst(2, (n) => n % 2 === 1)).toEqual([11, 9]);
    expect(ring.newestFirst(100, (n) => n < 5)).toEqual([]);
  });

  it('is empty before the first push and refuses a capacity below 1', () => {
    expect(new RingBuffer<string>(1).newestFirst()).toEqual([]);
    expect(() => new RingBuffer(0)).toThrow(RangeError);
  });
});
