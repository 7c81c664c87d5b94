import { MAX_JSON_DEPTH, nestingDepthExceeds } from './json-body.js';

describe('nestingDepthExceeds', () => {
  it.each([
    ['{}', 1],
    ['{"a":[1,{"b":[]}]}', 4],
    ['[[[]]]', 3],
  ])('finds %s exactly %i deep', (text, depth) => {
    expect(nestingDepthExceeds(text, depth)).toBe(false);
    expect(nestingDepthExceeds(text, depth - 1)).toBe(true);
  });

  it('counts only structure, not brackets in strings or after escaped quotes', () => {
    expect(nestingDepthExceeds('{"a":"[[[[{{{{"}', 1)).toBe(false);
    expect(nestingDepthExceeds('{"a":"\\"[[[[","b":"\\\\"}', 1)).toBe(false);
    expect(nestingDepthExceeds('{"a":"\\\\",  "b":[[]]}', 2)).toBe(true);
  });

  it('allows what the commands send, and stops early on a hostile body', () => {
    const turn = JSON.stringify({
      user: { content: 'x', imageUrls: ['https://a.test/1.png'] },
      assistant: {},
    });
    expect(nestingDepthExceeds(turn, MAX_JSON_DEPTH)).toBe(false);
    expect(nestingDepthExceeds('['.repeat(5_000_000), MAX_JSON_DEPTH)).toBe(true);
  });
});
