import { ifNoneMatchMatches, preconditionFrom, toETag } from './etag.js';

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

describe('toETag', () => {
  it('quotes the revision', () => expect(toETag(7)).toBe('"7"'));
});

describe('preconditionFrom', () => {
  it.each([
    [undefined, undefined, undefined],
    ['"7"', undefined, { revision: 7 }],
    [' "-1" ', undefined, { revision: -1 }],
    [undefined, ' * ', { noStream: true }],
  ])('If-Match %s, If-None-Match %s: %o', (ifMatch, ifNoneMatch, expected) =>
    expect(preconditionFrom(ifMatch, ifNoneMatch)).toEqual(expected),
  );

  it.each([
    ['"7"', '*'],
    ['7', undefined],
    ['W/"7"', undefined],
    ['"07"', undefined],
    [undefined, '"7"'],
  ])('refuses If-Match %s, If-None-Match %s', (ifMatch, ifNoneMatch) =>
    expect(() => preconditionFrom(ifMatch, ifNoneMatch)).toThrow(
      expect.objectContaining({ status: 400, kind: 'invalid-precondition' }),
    ),
  );
});
