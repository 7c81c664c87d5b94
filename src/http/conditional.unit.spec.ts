import { ifNoneMatchMatches } from './conditional.js';

describe('ifNoneMatchMatches', () => {
  it.each([
    ['"7"', '"7"'],
    ['W/"7"', '"7"'],
    ['"7"', 'W/"7"'],
    ['*', '"7"'],
    [' * ', '"7"'],
    ['"1", "7"', '"7"'],
    ['"1","7"', '"7"'],
    ['"1",W/"7"', '"7"'],
    ['"a,b", "7"', '"7"'],
    [', "1" ,, "7",', '"7"'],
    ['"-1"', '"-1"'],
  ])('%s matches %s', (header, etag) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(true);
  });

  it.each([
    [undefined, '"7"'],
    ['', '"7"'],
    ['"70"', '"7"'],
    ['"1", "2"', '"7"'],
    ['7', '"7"'],
    ['w/"7"', '"7"'],
    ['"7', '"7"'],
    ['"7" "8"', '"7"'],
    ['"7", x', '"7"'],
    ['"7", *', '"7"'],
    ['"a,b"', '"a"'],
  ])('%s does not match %s', (header, etag) => {
    expect(ifNoneMatchMatches(header, etag)).toBe(false);
  });
});
