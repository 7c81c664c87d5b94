import { appendTail } from './support/output-tail.js';
import { lastLines } from '../bench/support/processes.js';

describe("a child's output tail", () => {
  it('keeps only the last characters, however the output is chunked', () => {
    let kept = '';
    for (const chunk of ['line 1\n', 'line 2\nline 3\n', 'x'.repeat(5) + '\nend\n'])
      kept = appendTail(kept, Buffer.from(chunk), 12);
    expect(kept).toBe('3\nxxxxx\nend\n');
  });

  it('reads a chunk longer than the tail from its end only', () => {
    expect(appendTail('before', Buffer.from('0123456789'), 4)).toBe('6789');
  });

  it('keeps everything while under the limit', () => {
    expect(appendTail('ab', Buffer.from('cd'), 10)).toBe('abcd');
  });
});

describe('the last lines of a tail', () => {
  it('drops empty lines and the colours of Nest’s logger', () => {
    expect(lastLines('a\n\u001b[31mb\u001b[39m\n\nc\n', 2, ' | ')).toBe('b | c');
  });
});
